import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { dirname } from "node:path";
import { before, describe, it } from "node:test";
import { onMarkerPath } from "../../src/lifecycle/index.js";
import { assertBuilt, cleanEnv, cliMain, fixture, run, start } from "../fixtures/child-process.js";

const loopscope = (args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()) =>
  run(process.execPath, [cliMain, ...args], { env });

describe("loopscope run", () => {
  before(assertBuilt);

  it("exits with the command's exit code", async () => {
    const result = await loopscope(["run", "--", process.execPath, "-e", "process.exit(7)"]);
    assert.equal(result.code, 7);
  });

  it("exits with 128 + signal when a signal ends the command", async () => {
    const result = await loopscope([
      "run",
      "--",
      process.execPath,
      "-e",
      "process.kill(process.pid, 'SIGTERM')",
    ]);
    assert.equal(result.code, 128 + constants.signals.SIGTERM);
  });

  it("runs the command with the preload on and the options in its environment", async () => {
    const probe =
      "console.log(JSON.stringify({ slow: process.env.LOOPSCOPE_SLOW_MS, debug: process.env.LOOPSCOPE_DEBUG, " +
      "options: process.env.NODE_OPTIONS, dumpListeners: process.listenerCount('SIGUSR2'), mine: process.env.MINE }))";
    const result = await loopscope(
      ["run", "--slow-ms", "42", "--", process.execPath, "-e", probe],
      cleanEnv({ MINE: "kept", NODE_OPTIONS: "--no-warnings" }),
    );
    assert.equal(result.code, 0, result.stderr);
    const seen = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(seen.slow, "42");
    assert.equal(seen.debug, undefined);
    assert.equal(seen.mine, "kept");
    assert.equal(seen.dumpListeners, 1);
    assert.match(String(seen.options), /^--no-warnings --import file:\/\/.*\/dist\/register\.js$/);
  });

  it("refuses a bad --slow-ms before running anything, with exit code 9", async () => {
    const result = await loopscope([
      "run",
      "--slow-ms",
      "abc",
      "--",
      process.execPath,
      fixture("app-ran.js"),
    ]);
    assert.equal(result.code, 9);
    assert.equal(
      result.stderr,
      'loopscope: LOOPSCOPE_SLOW_MS must be a positive integer, got "abc"\n',
    );
    assert.equal(result.stdout, "");
  });

  it("serves the inspector with --inspect, and says where", async () => {
    const result = await loopscope(
      ["run", "--inspect", "127.0.0.1:0", "--", process.execPath, fixture("app-ran.js")],
      cleanEnv(),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /loopscope: inspector at http:\/\/127\.0\.0\.1:\d+\/\?token=\S+\n/);
    const bad = await loopscope([
      "run",
      "--inspect",
      "nowhere",
      "--",
      process.execPath,
      fixture("app-ran.js"),
    ]);
    assert.equal(bad.code, 9);
    assert.match(bad.stderr, /LOOPSCOPE_INSPECT must be \[host:\]port/);
  });

  it("says so when the command cannot be started (exit code 127)", async () => {
    const result = await loopscope(["run", "--", "loopscope-no-such-command-xyz"]);
    assert.equal(result.code, 127);
    assert.match(result.stderr, /cannot run "loopscope-no-such-command-xyz"/);
  });

  it("forwards SIGTERM to the command", async () => {
    const app = start(
      process.execPath,
      [cliMain, "run", "--", process.execPath, fixture("pending-tasks.js")],
      { env: cleanEnv() },
    );
    await app.waitForStdout(/ready \d+/);
    app.child.kill("SIGTERM");
    const result = await app.finished;
    assert.equal(result.code, 128 + constants.signals.SIGTERM);
  });
});

describe("loopscope dump", () => {
  before(assertBuilt);

  it("prints the dump of a running process, as text and as JSON", async () => {
    const app = start(
      process.execPath,
      ["--import", "loopscope/register", fixture("pending-tasks.js")],
      {
        env: cleanEnv(),
      },
    );
    try {
      const [, pid] = await app.waitForStdout(/ready (\d+)/);
      const text = await loopscope(["dump", pid!]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /handle cattle-ab12/);
      assert.match(text.stdout, /handle cattle-ef56/);

      const json = await loopscope(["dump", pid!, "--json"]);
      assert.equal(json.code, 0, json.stderr);
      const event = JSON.parse(json.stdout) as { type: string; pid: number; tasks: unknown[] };
      assert.equal(event.type, "task-dump");
      assert.equal(event.pid, Number(pid));
      assert.equal(event.tasks.length, 3);
    } finally {
      app.child.kill("SIGTERM");
    }
    assert.equal((await app.finished).signal, "SIGTERM");
  });

  it("dumps a process that turned loopscope on itself with start(), without --force", async () => {
    const app = start(process.execPath, [fixture("pending-tasks.js"), "start"], {
      env: cleanEnv(),
    });
    try {
      const [, pid] = await app.waitForStdout(/ready (\d+)/);
      const text = await loopscope(["dump", pid!]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /handle cattle-cd34/);
    } finally {
      app.child.kill("SIGTERM");
    }
    assert.equal((await app.finished).signal, "SIGTERM");
  });

  it("refuses to signal a Node process that does not run loopscope (SIGUSR2 would kill it)", async () => {
    const app = start(process.execPath, ["-e", "console.log('up'); setInterval(() => {}, 1000)"], {
      env: cleanEnv(),
    });
    try {
      await app.waitForStdout(/up/);
      const result = await loopscope(["dump", String(app.child.pid)]);
      assert.equal(result.code, 5);
      assert.match(result.stderr, /does not seem to run loopscope/);
      assert.equal(app.child.exitCode, null);
    } finally {
      app.child.kill("SIGTERM");
    }
    assert.equal((await app.finished).signal, "SIGTERM");
  });

  it("does not trust a marker left by an earlier process with the same pid", async () => {
    const app = start(process.execPath, ["-e", "console.log('up'); setInterval(() => {}, 1000)"], {
      env: cleanEnv(),
    });
    const pid = app.child.pid ?? 0;
    try {
      await app.waitForStdout(/up/);
      // What a loopscope process killed by a signal leaves: its pid, and a start time not
      // this one's, in the rendezvous directory this process's environment names.
      const marker = onMarkerPath(pid);
      mkdirSync(dirname(marker), { recursive: true, mode: 0o700 });
      writeFileSync(marker, `${pid} 1\n`);
      const result = await loopscope(["dump", String(pid)]);
      assert.equal(result.code, 5);
      assert.match(result.stderr, /does not seem to run loopscope/);
      assert.equal(app.child.exitCode, null);
      assert.equal(existsSync(marker), false);
    } finally {
      app.child.kill("SIGTERM");
    }
    assert.equal((await app.finished).signal, "SIGTERM");
  });

  it("gives up with a hint when the process does not answer", async () => {
    // Handles SIGUSR2 itself (so it survives) but writes no dump.
    const app = start(
      process.execPath,
      ["-e", "process.on('SIGUSR2', () => {}); console.log('up'); setInterval(() => {}, 1000)"],
      { env: cleanEnv() },
    );
    try {
      await app.waitForStdout(/up/);
      const result = await loopscope([
        "dump",
        String(app.child.pid),
        "--force",
        "--timeout-ms",
        "200",
      ]);
      assert.equal(result.code, 4);
      assert.match(result.stderr, /did not answer within 200 ms: is it running with loopscope\?/);
    } finally {
      app.child.kill("SIGTERM");
    }
    await app.finished;
  });

  it("says when there is no such process, or the pid is not a number", async () => {
    const gone = await loopscope(["dump", "99999999"]);
    assert.equal(gone.code, 2);
    assert.equal(gone.stderr, "loopscope: no process with pid 99999999\n");
    const bad = await loopscope(["dump", "abc"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /pid must be a positive integer, got "abc"/);
  });
});
