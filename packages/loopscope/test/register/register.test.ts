import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { dumpFilePaths } from "../../src/lifecycle/index.js";
import {
  assertBuilt,
  cleanEnv,
  fixture,
  run,
  start,
  withoutLoopBlockedReports,
} from "../fixtures/child-process.js";

const PRELOAD = ["--import", "loopscope/register"];

/** Read a file once it exists and holds `minLength` characters: the dump is written asynchronously. */
async function waitForFile(path: string): Promise<string> {
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      const text = await readFile(path, "utf8");
      if (text.length > 0) return text;
    } catch {
      // Not there yet.
    }
    await sleep(delay);
  }
}

describe("preload (node --import loopscope/register)", () => {
  let dir: string;
  before(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), "loopscope-register-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("stops a program with a bad variable before it runs: one clear line, exit code 9", async () => {
    const result = await run(process.execPath, [...PRELOAD, fixture("app-ran.js")], {
      env: cleanEnv({ LOOPSCOPE_SLOW_MS: "abc" }),
    });
    assert.equal(result.code, 9);
    assert.equal(
      result.stderr,
      'loopscope: LOOPSCOPE_SLOW_MS must be a positive integer, got "abc"\n',
    );
    assert.equal(result.stdout, "");
  });

  it("runs the program when the environment is good", async () => {
    const env = cleanEnv({ LOOPSCOPE_SLOW_MS: "50", LOOPSCOPE_DEBUG: "0" });
    // The preload adds nothing to stderr: it reads as the program's own (empty, unless this
    // Node warns about something of its own). A loaded machine can make a child say more
    // (a stall it really had, and what follows from it), so a run that differs is tried
    // again; a preload that always wrote something fails every attempt.
    const attempts: unknown[][] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await run(process.execPath, [...PRELOAD, fixture("app-ran.js")], { env });
      const without = await run(process.execPath, [fixture("app-ran.js")], { env });
      const seen = [result.code, result.stdout, withoutLoopBlockedReports(result.stderr)];
      const expected = [0, "app ran\n", without.stderr];
      if (isDeepStrictEqual(seen, expected)) return;
      attempts.push([seen, expected, result.stderr]);
    }
    assert.fail(`every attempt differed (seen, expected, raw stderr): ${JSON.stringify(attempts)}`);
  });

  it("leaves no handle that keeps the process alive", async () => {
    // No time bound: the test runner's timeout catches a process that never exits.
    const result = await run(process.execPath, [...PRELOAD, fixture("idle.js")], {
      env: cleanEnv({ LOOPSCOPE_EVENTS: join(dir, "idle.jsonl") }),
    });
    assert.deepEqual(
      [result.code, result.signal, withoutLoopBlockedReports(result.stderr)],
      [0, null, ""],
    );
  });

  it("keeps the application's exit code", async () => {
    const result = await run(process.execPath, [...PRELOAD, fixture("exit-code.js")], {
      env: cleanEnv(),
    });
    // Once, on Node 26 under CI's load, it ended by a signal instead: say which, and what it printed.
    assert.equal(result.code, 3, `signal ${result.signal ?? "none"}, stderr: ${result.stderr}`);
  });

  it("answers SIGUSR2 with a dump on stderr, in the events file and in the dump file", async () => {
    const events = join(dir, "dump.jsonl");
    const app = start(process.execPath, [...PRELOAD, fixture("pending-tasks.js")], {
      env: cleanEnv({ LOOPSCOPE_EVENTS: events }),
    });
    try {
      const [, pidText] = await app.waitForStdout(/ready (\d+)\n/);
      // Where the child's environment puts it (this test file's XDG_RUNTIME_DIR).
      const dumpFile = dumpFilePaths(Number(pidText)).text;
      rmSync(dumpFile, { force: true });
      app.child.kill("SIGUSR2");

      const text = await waitForFile(dumpFile);
      for (const id of ["ab12", "cd34", "ef56"])
        assert.match(text, new RegExp(`handle cattle-${id}`));
      await app.waitForStderr(/handle cattle-ef56/);
      assert.match(app.stderr(), /handle cattle-ab12/);

      const json = JSON.parse(await waitForFile(`${dumpFile}.json`)) as {
        type: string;
        tasks: { name: string; state: string }[];
      };
      assert.equal(json.type, "task-dump");
      assert.deepEqual(json.tasks.map((t) => t.name).sort(), [
        "handle cattle-ab12",
        "handle cattle-cd34",
        "handle cattle-ef56",
      ]);

      const lines = (await waitForFile(events)).trim().split("\n");
      const event = JSON.parse(lines[0]!) as { type: string; pid: number; tasks: unknown[] };
      assert.equal(event.type, "task-dump");
      assert.equal(event.pid, app.child.pid);
      assert.equal(event.tasks.length, 3);
      rmSync(dumpFile, { force: true });
      rmSync(`${dumpFile}.json`, { force: true });
    } finally {
      app.child.kill("SIGTERM");
    }
    // Still alive after the dump: SIGTERM, not SIGUSR2, ended it.
    const end = await app.finished;
    assert.equal(end.signal, "SIGTERM");
  });

  it("does not start again in worker threads", async () => {
    const script = `
      import { Worker } from "node:worker_threads";
      const worker = new Worker("process.exit(process.listenerCount('SIGUSR2'))", { eval: true });
      worker.on("exit", (code) => console.log("worker listeners", code, "main listeners", process.listenerCount("SIGUSR2")));
    `;
    const result = await run(process.execPath, [...PRELOAD, "--input-type=module", "-e", script], {
      env: cleanEnv(),
    });
    assert.equal(result.stdout, "worker listeners 0 main listeners 1\n");
  });
});
