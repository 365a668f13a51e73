/**
 * `loopscope inspect <pid>`: the inspector of a process that did not start with it, opened
 * on demand through SIGUSR2 and a request file; and `loopscope dump <url>` over it.
 */
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { inspectFilePath } from "../../src/lifecycle/index.js";
import type { InspectorAddress } from "../../src/protocol/index.js";
import {
  assertBuilt,
  cleanEnv,
  cliMain,
  fixture,
  run,
  start,
  testRuntimeDir,
} from "../fixtures/child-process.js";

/**
 * Run node as nobody: this Node's binary, or, where nobody cannot reach it (the pinned
 * binaries live under root's 0700 home), the machine's own. Which one does not matter here:
 * the kernel is what refuses the signal.
 */
async function runAsNobody(args: readonly string[]): Promise<Awaited<ReturnType<typeof run>>> {
  const options = { env: { PATH: process.env.PATH, HOME: "/tmp" }, uid: 65_534, gid: 65_534 };
  try {
    return await run(process.execPath, args, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EACCES") throw error;
    return run("/usr/bin/node", args, options);
  }
}

const loopscope = (args: readonly string[]) =>
  run(process.execPath, [cliMain, ...args], { env: cleanEnv() });

describe("loopscope inspect", () => {
  before(assertBuilt);

  it("opens the inspector of a process under the preload, without a restart and without a token in its output", async () => {
    const app = start(
      process.execPath,
      ["--import", "loopscope/register", fixture("pending-tasks.js")],
      {
        env: cleanEnv(),
      },
    );
    try {
      const [, pid] = await app.waitForStdout(/ready (\d+)/);
      const opened = await loopscope(["inspect", pid!]);
      assert.equal(opened.code, 0, opened.stderr);
      const [, url, token] =
        /^(http:\/\/127\.0\.0\.1:\d+\/)\?token=(\S+)\n$/.exec(opened.stdout) ?? [];
      assert.ok(url !== undefined && token !== undefined, opened.stdout);

      const status = await fetch(`${url}api/status`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      assert.equal(status.status, 200);
      assert.equal(((await status.json()) as { pid: number }).pid, Number(pid));

      // The token went to the asker only: not to the process's output.
      assert.doesNotMatch(app.stderr() + app.stdout(), new RegExp(token));
      const dir = join(testRuntimeDir(), "loopscope");
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(statSync(inspectFilePath(Number(pid), dir)).mode & 0o777, 0o600);

      // Asked again, the same inspector: no second server.
      const again = await loopscope(["inspect", pid!, "--json"]);
      assert.equal(again.code, 0, again.stderr);
      const address = JSON.parse(again.stdout) as InspectorAddress;
      assert.deepEqual([address.url, address.token, address.pid], [url, token, Number(pid)]);

      // A dump over the protocol, from the URL inspect printed.
      const dump = await loopscope(["dump", opened.stdout.trim()]);
      assert.equal(dump.code, 0, dump.stderr);
      assert.match(dump.stdout, new RegExp(`loopscope task dump: pid ${pid}`));
      assert.match(dump.stdout, /handle cattle-ab12/);

      // SIGUSR2 without a request still dumps, as before.
      app.child.kill("SIGUSR2");
      await app.waitForStderr(/loopscope task dump/);
    } finally {
      app.child.kill("SIGTERM");
    }
    await app.finished;
  });

  it("never signals a process that does not run loopscope", async () => {
    const plain = start(
      process.execPath,
      ["-e", "setInterval(() => {}, 1000); console.log('ready')"],
      {
        env: cleanEnv(),
      },
    );
    try {
      await plain.waitForStdout(/ready/);
      const result = await loopscope(["inspect", String(plain.child.pid)]);
      assert.equal(result.code, 5);
      assert.match(result.stderr, /does not seem to run loopscope/);
      // Still running: SIGUSR2 would have ended it.
      assert.equal(plain.child.exitCode, null);
      assert.equal(plain.child.signalCode, null);
    } finally {
      plain.child.kill("SIGTERM");
    }
    await plain.finished;
  });

  it(
    "cannot be used on another user's process",
    {
      skip:
        process.getuid?.() === 0
          ? false
          : "needs root, to run the command as a second user (nobody, uid 65534)",
    },
    async () => {
      const app = start(
        process.execPath,
        ["--import", "loopscope/register", fixture("pending-tasks.js")],
        {
          env: cleanEnv(),
        },
      );
      try {
        const [, pid] = await app.waitForStdout(/ready (\d+)/);
        // The command as nobody, against this (root's) process: the kernel refuses the signal,
        // and nobody's own rendezvous directory is another one.
        const asNobody = await runAsNobody([cliMain, "inspect", pid!]);
        assert.equal(asNobody.code, 3, asNobody.stderr);
        assert.match(asNobody.stderr, /not allowed to signal process/);
        assert.equal(app.child.exitCode, null);
        assert.doesNotMatch(app.stderr(), /inspector at/);
      } finally {
        app.child.kill("SIGTERM");
      }
      await app.finished;
    },
  );

  it("refuses a bad pid, a missing process, and a dump URL without a token", async () => {
    assert.equal((await loopscope(["inspect", "abc"])).code, 1);
    assert.equal((await loopscope(["inspect", "999999999"])).code, 2);
    const noToken = await loopscope(["dump", "http://127.0.0.1:9/"]);
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /no token/);
  });
});
