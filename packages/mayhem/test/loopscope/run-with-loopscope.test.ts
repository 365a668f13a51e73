/**
 * `mayhem run` with loopscope on, end to end: the built CLI in a child process,
 * its stderr and its LOOPSCOPE_EVENTS file. Needs `npm run build` at the root.
 * No timing assertions: every wait is for an event or an output line, bounded
 * by a generous timeout that only turns a hang into a failure.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { testRuntimeDir } from "../helpers/child-env.js";

const packageDir = fileURLToPath(new URL("../../", import.meta.url));
const cli = join(packageDir, "dist/cli/main.js");
const injectSource = join(packageDir, "src/service/inject.ts");
const dir = mkdtempSync(join(tmpdir(), "mayhem-loopscope-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Frame {
  fn: string;
  file: string;
  line: number;
  internal?: boolean;
  loopscope?: boolean;
}
interface LoopscopeEvent {
  type: string;
  stack?: Frame[];
  task?: { id: number; name: string; createdAt: Frame[] };
  tasks?: { id: number; name: string; parentId?: number }[];
  call?: string;
}

/** The 1-based line of `src/service/inject.ts` that carries `// inject:<marker>`. */
function markerLine(marker: string): number {
  const lines = readFileSync(injectSource, "utf8").split("\n");
  const index = lines.findIndex((line) => line.includes(`// inject:${marker}`));
  assert.notEqual(index, -1, `marker inject:${marker} not found in ${injectSource}`);
  return index + 1;
}

/** The innermost frame that is the application's (neither Node's nor loopscope's). */
function topApplicationFrame(stack: readonly Frame[] | undefined): Frame | undefined {
  return stack?.find((frame) => frame.internal !== true && frame.loopscope !== true);
}

class Mayhem {
  readonly child: ChildProcess;
  readonly eventsFile: string;
  stderr = "";
  stdout = "";
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[], env: Record<string, string>, nodeArgs: string[] = []) {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` at the root`);
    this.eventsFile = join(dir, `events-${Math.random().toString(36).slice(2)}.jsonl`);
    this.child = spawn(
      process.execPath,
      [...nodeArgs, cli, "run", "--log-format", "json", "--seed", "1", ...args],
      {
        cwd: packageDir,
        // loopscope's marker and dump files go to this test file's XDG_RUNTIME_DIR.
        env: {
          ...process.env,
          XDG_RUNTIME_DIR: testRuntimeDir(),
          LOOPSCOPE_EVENTS: this.eventsFile,
          ...env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.child.stdout!.on("data", (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
  }

  events(): LoopscopeEvent[] {
    if (!existsSync(this.eventsFile)) return [];
    return readFileSync(this.eventsFile, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as LoopscopeEvent);
  }

  /** Polls until `found` returns something; fails after `timeoutMs` (a hang, not a timing check). */
  async waitFor<T>(what: string, found: () => T | undefined, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = found();
      if (value !== undefined) return value;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        assert.fail(
          `no ${what}; exit code ${String(this.child.exitCode)}\nstderr:\n${this.stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  event(type: string, where: (event: LoopscopeEvent) => boolean = () => true) {
    return this.waitFor(`${type} event`, () =>
      this.events().find((event) => event.type === type && where(event)),
    );
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill("SIGTERM");
    return this.exited;
  }
}

const fast = ["--publish-interval-ms", "50", "--action-max-latency-ms", "300"];

describe("mayhem run with loopscope", () => {
  it("prints a task dump on SIGUSR2 naming each message's task and its children, and keeps running", async () => {
    const mayhem = new Mayhem(fast, {});
    try {
      await mayhem.waitFor("handled message", () =>
        mayhem.stdout.includes("Pulled cattle-") ? true : undefined,
      );
      mayhem.child.kill("SIGUSR2");
      const dump = await mayhem.event("task-dump");
      const text = await mayhem.waitFor("dump on stderr", () =>
        mayhem.stderr.includes("loopscope task dump") ? mayhem.stderr : undefined,
      );
      assert.match(text, /"handle cattle-[a-z0-9]{4}"/);
      assert.match(text, /"extend cattle-[a-z0-9]{4}"/);
      // Every extend task in the event is the child of the handle task of the same message.
      const byId = new Map(dump.tasks!.map((task) => [task.id, task]));
      const extend = dump.tasks!.filter((task) => task.name.startsWith("extend cattle-"));
      assert.ok(extend.length > 0, "some message is being handled");
      for (const child of extend) {
        const parent = byId.get(child.parentId!);
        assert.equal(parent?.name, child.name.replace("extend", "handle"));
      }
      assert.equal(mayhem.child.exitCode, null, "SIGUSR2 does not end the process");
    } finally {
      assert.equal(await mayhem.stop(), 0, mayhem.stderr);
    }
  });

  it("--inject blocking-save: a loop-blocked event at the busy line, in the message's task", async () => {
    const mayhem = new Mayhem(
      [
        "--inject",
        "blocking-save",
        "--publish-interval-ms",
        "700",
        "--action-max-latency-ms",
        "20",
      ],
      { LOOPSCOPE_SLOW_MS: "100" },
    );
    try {
      const event = await mayhem.event("loop-blocked", (e) => (e.stack?.length ?? 0) > 0);
      const frame = topApplicationFrame(event.stack);
      assert.equal(frame?.file, injectSource);
      assert.equal(frame?.line, markerLine("blocking-save"));
      // Production mode knows the running task during a task's synchronous first step, and
      // save blocks before its first await, in the handle task's step.
      assert.ok(event.task, `no task in the loop-blocked event: ${JSON.stringify(event)}`);
      assert.match(event.task.name, /^handle cattle-[a-z0-9]{4}$/);
    } finally {
      assert.equal(await mayhem.stop(), 0, mayhem.stderr);
    }
  });

  it("--inject blocking-call in debug mode: a blocking-call event at the pbkdf2Sync line", async () => {
    const mayhem = new Mayhem(["--inject", "blocking-call", ...fast], { LOOPSCOPE_DEBUG: "1" });
    try {
      const event = await mayhem.event("blocking-call");
      assert.equal(event.call, "crypto.pbkdf2Sync");
      const frame = topApplicationFrame(event.stack);
      assert.equal(frame?.file, injectSource);
      assert.equal(frame?.line, markerLine("blocking-call"));
    } finally {
      assert.equal(await mayhem.stop(), 0, mayhem.stderr);
    }
  });

  it("--inject unretrieved in debug mode: the failed task with its creation line, then a graceful shutdown (exit 1)", async () => {
    const mayhem = new Mayhem(["--inject", "unretrieved", ...fast], { LOOPSCOPE_DEBUG: "1" });
    const code = await mayhem.exited;
    assert.equal(code, 1, mayhem.stderr);
    const event = mayhem.events().find((e) => e.type === "task-exception-never-retrieved");
    assert.ok(event, `no task-exception-never-retrieved event:\n${mayhem.stderr}`);
    assert.match(event.task!.name, /^restart cattle-[a-z0-9]{4}$/);
    const created = topApplicationFrame(event.task!.createdAt);
    assert.equal(created?.file, injectSource);
    assert.equal(created?.line, markerLine("unretrieved-spawn"));
    const thrown = topApplicationFrame(event.stack);
    assert.equal(thrown?.line, markerLine("unretrieved-throw"));
    assert.match(mayhem.stdout, /Successfully shutdown the Mayhem service/);
  });

  it("--inject lost-task in debug mode: task-never-resumes at the await nothing can settle", async () => {
    // Every GC a full one, so the lost promise is collected within the test.
    const mayhem = new Mayhem(["--inject", "lost-task", ...fast], { LOOPSCOPE_DEBUG: "1" }, [
      "--gc-global",
      "--max-semi-space-size=1",
    ]);
    try {
      const event = await mayhem.event("task-never-resumes");
      assert.match(event.task!.name, /^wait for cattle-[a-z0-9]{4} audit$/);
      assert.equal(topApplicationFrame(event.stack)?.line, markerLine("lost-task-await"));
      const created = topApplicationFrame(event.task!.createdAt);
      assert.equal(created?.file, injectSource);
      assert.equal(created?.line, markerLine("lost-task-spawn"));
    } finally {
      assert.equal(await mayhem.stop(), 0, mayhem.stderr);
    }
  });

  it("sends loop metrics to StatsD when LOOPSCOPE_STATSD is set", async () => {
    const socket = createSocket("udp4");
    const received: string[] = [];
    socket.on("message", (message) => received.push(message.toString()));
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const mayhem = new Mayhem(fast, {
      LOOPSCOPE_STATSD: `127.0.0.1:${socket.address().port}`,
      LOOPSCOPE_METRICS_INTERVAL_MS: "100",
    });
    try {
      const packet = await mayhem.waitFor("StatsD packet", () =>
        received.find((text) => text.includes("loopscope.eventloop.delay.p99")),
      );
      assert.match(packet, /loopscope\.eventloop\.delay\.p99:[\d.]+\|g/);
    } finally {
      socket.close();
      assert.equal(await mayhem.stop(), 0, mayhem.stderr);
    }
  });

  it("exits 2 with loopscope's message for a bad LOOPSCOPE_* value", async () => {
    const mayhem = new Mayhem([], { LOOPSCOPE_SLOW_MS: "abc" });
    assert.equal(await mayhem.exited, 2);
    assert.match(mayhem.stderr, /^loopscope: LOOPSCOPE_SLOW_MS .*"abc"/m);
  });

  it("--no-loopscope leaves it off: no SIGUSR2 listener, so the signal ends the process", async () => {
    const mayhem = new Mayhem(["--no-loopscope", ...fast], {});
    await mayhem.waitFor("start line", () =>
      mayhem.stdout.includes('"loopscope":"off"') ? true : undefined,
    );
    mayhem.child.kill("SIGUSR2");
    assert.equal(await mayhem.exited, null, "terminated by the signal, Node's default");
  });
});
