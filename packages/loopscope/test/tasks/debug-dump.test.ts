import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { TaskSnapshot } from "../../src/protocol/index.js";
import { renderDump } from "../../src/render/index.js";
import { currentTask, setDebugTracking, snapshotTasks, spawn } from "../../src/tasks/index.js";

const thisFile = fileURLToPath(import.meta.url);

/** The 1-based line of the first source line containing `marker` (the await under test). */
async function lineOf(marker: string): Promise<number> {
  const lines = (await readFile(thisFile, "utf8")).split("\n");
  const index = lines.findIndex((l) => l.includes(marker) && !l.includes("lineOf("));
  assert.ok(index >= 0, `marker ${marker} in this file`);
  return index + 1;
}

/** Let suspended code reach its awaits (a few turns of the loop, no timing). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

function taskNamed(name: string): TaskSnapshot {
  const found = snapshotTasks().tasks.find((t) => t.name === name);
  assert.ok(found, `task ${name} in the dump`);
  return found;
}

const awaitSkipped = (): number => snapshotTasks().sampling?.awaitSkipped ?? 0;

/**
 * Runs `scenario` (which spawns a task named `name` and lets it reach its await) and returns
 * that task. Debug mode samples await and creation captures when a burst drains its budget,
 * and the dump counts what it skipped; a burst of the process's own (tsx's, under load) can
 * land inside a test. So when this task has no await, or awaits a promise whose creation was
 * not captured ("unknown"), and the dump counted a skipped capture meanwhile, the scenario
 * runs again, once the budget has refilled. A missing await or creation line that nothing
 * counted as skipped is returned as it is, and fails the test.
 */
async function waitingTask(
  name: string,
  scenario: (name: string) => Promise<void>,
): Promise<TaskSnapshot> {
  for (let attempt = 1; ; attempt++) {
    const skippedBefore = awaitSkipped();
    const taskName = attempt === 1 ? name : `${name} (attempt ${attempt})`;
    await scenario(taskName);
    const task = taskNamed(taskName);
    const described = task.awaiting !== undefined && task.awaiting.kind !== "unknown";
    if (described || awaitSkipped() === skippedBefore || attempt === 3) {
      return task;
    }
    await sleep(110);
  }
}

describe("debug-mode dump: the await line and what is awaited", () => {
  const cancel = new AbortController();
  let server: Server;
  const sockets: Socket[] = [];

  before(async () => {
    setDebugTracking(true);
    server = createServer((socket) => sockets.push(socket)); // accepts, never writes
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
  });

  // Debug mode captures await and creation stacks freely up to a burst of 1,000, then
  // samples. The process's own bursts come out of the same budget (tsx, in this thread on
  // Node 22+, expires its disk cache with about 900 promises), so each test starts once
  // the budget has refilled (10 a millisecond), as it would between a program's bursts.
  beforeEach(() => sleep(110));

  after(() => {
    cancel.abort();
    for (const s of sockets) s.destroy();
    server.close();
    setDebugTracking(false);
  });

  it("a timer: kind and delay, and the line of the await", async () => {
    async function waitABit(signal: AbortSignal): Promise<void> {
      await sleep(60_000, undefined, { signal }); // AWAIT-TIMER
    }
    const task = await waitingTask("timer task", async (name) => {
      spawn(name, () => waitABit(cancel.signal).catch(() => undefined));
      await settle();
    });
    assert.equal(task.awaiting?.what, "timer 60000 ms");
    assert.equal(task.awaiting?.kind, "timer");
    assert.equal(task.awaiting?.at[0]?.file, thisFile);
    assert.equal(task.awaiting?.at[0]?.line, await lineOf("AWAIT-TIMER"));
    assert.equal(task.awaiting?.at[0]?.fn, "waitABit");
  });

  it("a socket read: a real local TCP connection that never receives data", async () => {
    const port = (server.address() as { port: number }).port;
    const task = await waitingTask("socket task", async (name) => {
      spawn(name, async () => {
        const socket = connect(port, "127.0.0.1");
        cancel.signal.addEventListener("abort", () => socket.destroy());
        await once(socket, "connect");
        try {
          for await (const chunk of socket) return chunk as Buffer; // AWAIT-SOCKET
        } catch {
          return undefined;
        }
        return undefined;
      });
      await once(server, "connection");
      await settle();
    });
    assert.match(task.awaiting?.what ?? "", /socket or stream read/);
    assert.equal(task.awaiting?.kind, "stream");
    const userFrame = task.awaiting?.at.find((f) => f.file === thisFile);
    assert.equal(userFrame?.line, await lineOf("AWAIT-SOCKET"));
  });

  it("a file read", async () => {
    // Right after the call the read is in flight: no loop turn needed.
    const task = await waitingTask("file task", (name) => {
      spawn(name, async () => {
        // A small file: Node 22+ reads a large one in 512 KiB chunks, thousands of promises
        // that would drain debug mode's capture budget before the tests below.
        const data = await readFile(thisFile); // AWAIT-FILE
        return data.length;
      });
      return Promise.resolve();
    });
    assert.match(task.awaiting?.what ?? "", /^file operation/);
    assert.equal(task.awaiting?.kind, "file");
    assert.equal(
      task.awaiting?.at.find((f) => f.file === thisFile)?.line,
      await lineOf("AWAIT-FILE"),
    );
  });

  it("another task, named with its id", async () => {
    const never = spawn("never settles", () => new Promise<void>(() => undefined));
    const task = await waitingTask("waits on task", async (name) => {
      spawn(name, async () => {
        await never.promise; // AWAIT-TASK
      });
      await settle();
    });
    assert.equal(task.awaiting?.what, `task ${never.id} "never settles"`);
    assert.equal(task.awaiting?.kind, "task");
    assert.equal(task.awaiting?.at[0]?.line, await lineOf("AWAIT-TASK"));
  });

  it("a never-settled promise, named by where it was created", async () => {
    const task = await waitingTask("waits on promise", async (name) => {
      spawn(name, async () => {
        const forever = new Promise<void>(() => undefined); // CREATE-PROMISE
        await forever; // AWAIT-PROMISE
      });
      await settle();
    });
    // Shortened as the frames are: relative to the current directory when inside it.
    const cwd = process.cwd() + sep;
    const shown = thisFile.startsWith(cwd) ? `.${sep}${thisFile.slice(cwd.length)}` : thisFile;
    assert.equal(
      task.awaiting?.what,
      `promise created at ${shown}:${await lineOf("CREATE-PROMISE")}`,
    );
    assert.equal(task.awaiting?.kind, "promise");
    assert.equal(task.awaiting?.at[0]?.line, await lineOf("AWAIT-PROMISE"));
    assert.ok((task.awaiting?.sinceMs ?? -1) >= 0);
  });

  it("async calls outside any task are listed, and currentTask() survives awaits", async () => {
    async function loose(): Promise<void> {
      await new Promise<void>(() => undefined); // AWAIT-LOOSE
    }
    void loose();
    let afterAwait: unknown;
    const task = spawn("tracks", async () => {
      await Promise.resolve();
      afterAwait = currentTask();
    });
    await task.promise;
    assert.equal(afterAwait, task);
    const dump = snapshotTasks();
    const call = dump.tasks.find(
      (t) => t.id === 0 && t.awaiting?.at[0]?.line !== undefined && t.name === "async loose",
    );
    assert.ok(call, "the loose async call is listed");
    assert.equal(call.awaiting?.at[0]?.line, await lineOf("AWAIT-LOOSE"));
    assert.equal(dump.mode, "debug");
  });

  it("many tasks waiting on the same line read as one group in the text", async () => {
    const gate = new Promise<void>((resolve) =>
      cancel.signal.addEventListener("abort", () => resolve()),
    );
    async function handle(): Promise<void> {
      await gate; // AWAIT-GROUP
    }
    // Fewer than the creation sampler's burst, so every task has its creation frames.
    for (let i = 0; i < 150; i++) spawn(`handle m${i}`, handle);
    await settle();
    const text = renderDump(snapshotTasks());
    assert.match(text, /^150 × handle m… \[pending/m);
    assert.match(text, /e\.g\. \d+ "handle m0", \d+ "handle m1", \d+ "handle m2", and 147 more/);
    const line = await lineOf("AWAIT-GROUP");
    assert.equal(text.split("\n").filter((l) => l.includes(`:${line}:`)).length, 1);
  });

  it("children are nested under their parent, and identical trees grouped, await lines included", async () => {
    const gate = new Promise<void>((resolve) =>
      cancel.signal.addEventListener("abort", () => resolve()),
    );
    async function child(): Promise<void> {
      await gate; // AWAIT-CHILD
    }
    async function parent(id: number): Promise<void> {
      const a = spawn(`fetch p${id}`, child);
      const b = spawn(`store p${id}`, child);
      await Promise.all([a.promise, b.promise]); // AWAIT-PARENT
    }
    for (let i = 0; i < 4; i++) spawn(`parent p${i}`, () => parent(i));
    await settle();
    const lines = renderDump(snapshotTasks()).split("\n");
    const top = lines.findIndex((l) => /^4 × parent p… \[pending/.test(l));
    assert.ok(top >= 0, lines.join("\n"));
    const end = lines.indexOf("", top);
    const block = lines.slice(top, end === -1 ? undefined : end);
    const fetch = block.findIndex((l) => /^ {2}├ fetch p… \[pending/.test(l));
    const store = block.findIndex((l) => /^ {2}└ store p… \[pending/.test(l));
    assert.ok(fetch > 0 && store > fetch, block.join("\n"));
    const parentLine = await lineOf("AWAIT-PARENT");
    const childLine = await lineOf("AWAIT-CHILD");
    // The parent's await line once, above its branches; the child's once in each branch.
    assert.equal(block.slice(0, fetch).filter((l) => l.includes(`:${parentLine}:`)).length, 1);
    assert.equal(block.slice(fetch, store).filter((l) => l.includes(`:${childLine}:`)).length, 1);
    assert.equal(block.slice(store).filter((l) => l.includes(`:${childLine}:`)).length, 1);
    assert.ok(block.slice(fetch, store).some((l) => /^ {2}│ {3}awaits /.test(l)));
  });

  it("an `await` of a plain value leaves nothing behind once it resumed", async () => {
    async function plain(n: number): Promise<number> {
      // The very thing under test (the lint is right that it is pointless in real code).
      // eslint-disable-next-line @typescript-eslint/await-thenable
      await null;
      // eslint-disable-next-line @typescript-eslint/await-thenable
      await n;
      return n;
    }
    for (let i = 0; i < 500; i++) await plain(i);
    spawn("plain values", async () => {
      for (let i = 0; i < 500; i++) await plain(i);
    });
    await settle();
    const stale = snapshotTasks().tasks.filter((t) => t.name === "async plain");
    assert.deepEqual(stale, [], "no finished call is listed as pending");
  });
});
