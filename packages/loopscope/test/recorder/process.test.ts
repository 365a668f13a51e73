/**
 * The flight recorder in real processes under the preload: its bounds hold under a flood of
 * tasks, a fatal exit (an uncaught exception, an unhandled rejection) leaves
 * `<pid>.recorder.json` in the rendezvous directory and says where on stderr, an exception
 * the application handles leaves nothing, and `loopscope dump <pid> --recorder` prints it
 * for a running process and for one that died.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import type { RecorderFile, RecorderWindow } from "../../src/protocol/index.js";
import { PROTOCOL_VERSION } from "../../src/protocol/index.js";
import {
  assertBuilt,
  cleanEnv,
  cliMain,
  fixture,
  run,
  start,
  testRuntimeDir,
} from "../fixtures/child-process.js";

const APP = fixture("recorder/app.js");

function app(mode: string, env: NodeJS.ProcessEnv = {}) {
  return run(process.execPath, ["--import", "loopscope/register", APP, mode], {
    env: cleanEnv(env),
  });
}

function loopscope(args: readonly string[]) {
  return run(process.execPath, [cliMain, ...args], { env: cleanEnv() });
}

/** Where a child of this file leaves process `pid`'s recorder file. */
function recorderFile(pid: number): string {
  return join(testRuntimeDir(), "loopscope", `${pid}.recorder.json`);
}

const SAYS_WHERE =
  /the flight recorder's last seconds before this (\w+) are in (\S+) \(loopscope dump (\d+) --recorder prints them\)/;

describe("the flight recorder in a process", () => {
  before(assertBuilt);

  it("stays within its bounds while the process spawns tasks as fast as it can", async (t) => {
    const result = await app("flood");
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as {
      spawned: number;
      rate: number;
      stats: {
        entries: number;
        bytes: number;
        dropped: number;
        maxEntries: number;
        maxBytes: number;
      };
      window: RecorderWindow;
    };
    t.diagnostic(`${report.spawned} tasks in a second (${report.rate} a second)`);
    const { stats, window } = report;
    assert.ok(stats.entries <= stats.maxEntries, `${stats.entries} > ${stats.maxEntries}`);
    assert.ok(stats.bytes <= stats.maxBytes, `${stats.bytes} > ${stats.maxBytes}`);
    // Under load it records 2,000 tasks a second, then one in 256 (two entries each):
    // still more than it holds.
    assert.ok(stats.dropped > 0);
    assert.ok((window.taskSampling?.skipped ?? 0) > 0);
    assert.ok((window.startsLastSecond?.count ?? 0) > (window.startsLastSecond?.seen ?? 0));
    // The window a loop-blocked report carries: at most 200 entries and 64 KB.
    assert.ok(window.entries.length <= 200);
    assert.ok(Buffer.byteLength(JSON.stringify(window)) <= 65_536);
    assert.ok(window.entries.some((entry) => entry.task?.name.startsWith("flood m") === true));
  });

  it("is written at an uncaught exception, with a line on stderr saying where", async () => {
    const result = await app("throw");
    assert.notEqual(result.code, 0);
    // Node's own report of the exception is still there.
    assert.match(result.stderr, /RangeError: the fixture throws/);
    const [, what, path, pid] = SAYS_WHERE.exec(result.stderr) ?? [];
    assert.equal(what, "exception", result.stderr);
    assert.equal(path, recorderFile(Number(pid)));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const file = JSON.parse(readFileSync(path, "utf8")) as RecorderFile;
    assert.equal(file.protocol, PROTOCOL_VERSION);
    assert.equal(file.pid, Number(pid));
    assert.equal(file.reason, "uncaught exception: RangeError: the fixture throws");
    const ends = file
      .window!.entries.filter((entry) => entry.kind === "task-end")
      .map((entry) => `${entry.task?.name}: ${entry.detail}`);
    assert.ok(ends.includes("handle cattle-ab12: done"), ends.join(", "));
    assert.ok(ends.includes("restart cattle-ab12: failed"), ends.join(", "));
  });

  it("is written at an unhandled rejection, which it records", async () => {
    const result = await app("reject");
    assert.notEqual(result.code, 0);
    const [, what, path] = SAYS_WHERE.exec(result.stderr) ?? [];
    assert.equal(what, "rejection", result.stderr);
    const file = JSON.parse(readFileSync(path!, "utf8")) as RecorderFile;
    assert.equal(file.reason, "unhandled rejection: TypeError: the fixture rejects");
    const last = file.window!.entries.at(-1);
    assert.equal(last?.kind, "unhandled-rejection");
    assert.equal(last?.detail, "TypeError: the fixture rejects");
  });

  it("is not written when the application handles the exception", async () => {
    const result = await app("handled");
    assert.equal(result.code, 0, result.stderr);
    const [, pid] = /survived the fixture throws in (\d+)/.exec(result.stdout) ?? [];
    assert.ok(pid !== undefined, result.stdout);
    assert.doesNotMatch(result.stderr, /flight recorder/);
    assert.equal(existsSync(recorderFile(Number(pid))), false);
  });

  it("is off with LOOPSCOPE_RECORDER_SECONDS=0: nothing is written", async () => {
    const result = await app("throw", { LOOPSCOPE_RECORDER_SECONDS: "0" });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /RangeError: the fixture throws/);
    assert.doesNotMatch(result.stderr, /flight recorder/);
  });

  it("is not written once loopscope has stopped", async () => {
    const result = await run(process.execPath, [APP, "stopped"], { env: cleanEnv() });
    assert.notEqual(result.code, 0);
    const [, pid] = /stopped (\d+)/.exec(result.stdout) ?? [];
    assert.ok(pid !== undefined, result.stdout);
    assert.match(result.stderr, /RangeError: the fixture throws/);
    assert.doesNotMatch(result.stderr, /flight recorder/);
    assert.equal(existsSync(recorderFile(Number(pid))), false);
  });

  it("refuses a bad LOOPSCOPE_RECORDER_SECONDS before the program runs", async () => {
    const result = await app("throw", { LOOPSCOPE_RECORDER_SECONDS: "ten" });
    assert.equal(result.code, 9);
    assert.match(
      result.stderr,
      /LOOPSCOPE_RECORDER_SECONDS must be an integer from 0 to 3600, got "ten"/,
    );
  });
});

describe("loopscope dump --recorder", () => {
  before(assertBuilt);

  it("prints the recorder of a running process, as text and as JSON", async () => {
    const child = start(process.execPath, ["--import", "loopscope/register", APP, "wait"], {
      env: cleanEnv(),
    });
    try {
      const [, pid] = await child.waitForStdout(/ready (\d+)/);
      const text = await loopscope(["dump", pid!, "--recorder"]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`^process ${pid}: asked by loopscope dump\\n`));
      assert.match(text.stdout, /loopscope flight recorder: 10\.0 s up to /);
      assert.match(text.stdout, /task-end\s+task \d+ "restart cattle-ab12": failed/);
      assert.match(text.stdout, /task-start\s+task \d+ "extend cattle-ab12"/);

      const json = await loopscope(["dump", pid!, "--recorder", "--json"]);
      assert.equal(json.code, 0, json.stderr);
      const file = JSON.parse(json.stdout) as RecorderFile;
      assert.equal(file.pid, Number(pid));
      const names = new Set(file.window!.entries.map((entry) => entry.task?.name));
      for (const name of ["handle cattle-ab12", "handle cattle-ef56", "extend cattle-ab12"]) {
        assert.ok(names.has(name), name);
      }
      // A request answered is not a dump: the process wrote no dump file, said nothing.
      assert.equal(existsSync(join(testRuntimeDir(), "loopscope", `${pid}.dump`)), false);
    } finally {
      child.child.kill("SIGTERM");
      await child.finished;
    }
    assert.doesNotMatch(child.stderr(), /task dump/);
  });

  it("says when the process runs without the recorder", async () => {
    const child = start(process.execPath, ["--import", "loopscope/register", APP, "wait"], {
      env: cleanEnv({ LOOPSCOPE_RECORDER_SECONDS: "0" }),
    });
    try {
      const [, pid] = await child.waitForStdout(/ready (\d+)/);
      const text = await loopscope(["dump", pid!, "--recorder"]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(
        text.stdout,
        /the flight recorder is off in this process \(LOOPSCOPE_RECORDER_SECONDS=0\)/,
      );
      const json = await loopscope(["dump", pid!, "--recorder", "--json"]);
      assert.equal((JSON.parse(json.stdout) as RecorderFile).window, undefined);
    } finally {
      child.child.kill("SIGTERM");
      await child.finished;
    }
  });

  it("prints the file a process left when it died", async () => {
    const died = await app("throw");
    const [, , , pid] = SAYS_WHERE.exec(died.stderr) ?? [];
    const text = await loopscope(["dump", pid!, "--recorder"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      new RegExp(
        `^process ${pid} has exited; the flight recorder it wrote at \\S+: uncaught exception: RangeError: the fixture throws\\n`,
      ),
    );
    assert.match(text.stdout, /task-end\s+task \d+ "handle cattle-cd34": done/);
  });
});
