/**
 * `loopscope inspect <pid>`: the inspector of a process that did not start with it, opened
 * on demand through SIGUSR2 and a request file; and `loopscope dump <url>` over it.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { inspectFilePath } from "../../src/lifecycle/index.js";
import type { InspectorAddress } from "../../src/protocol/index.js";
import {
  assertBuilt,
  cleanEnv,
  cliMain,
  fixture,
  packageDir,
  run,
  start,
  testRuntimeDir,
} from "../fixtures/child-process.js";

/**
 * Run the built `loopscope` command as nobody. The checkout may sit where nobody cannot
 * read (a private temporary folder, root's home), so the built package and the packages
 * it loads are copied to a folder nobody can read; and the node binary is this one, or,
 * where nobody cannot reach it (the pinned binaries live under root's 0700 home), the
 * machine's own. Which does not matter here: the kernel is what refuses the signal.
 */
async function runAsNobody(args: readonly string[]): Promise<Awaited<ReturnType<typeof run>>> {
  const root = mkdtempSync(join(tmpdir(), "loopscope-nobody-"));
  try {
    chmodSync(root, 0o755);
    const modules = join(root, "node_modules");
    cpSync(join(packageDir, "package.json"), join(modules, "loopscope", "package.json"));
    cpSync(join(packageDir, "dist"), join(modules, "loopscope", "dist"), { recursive: true });
    for (const dependency of [
      "commander",
      "@jridgewell/trace-mapping",
      "@jridgewell/resolve-uri",
      "@jridgewell/sourcemap-codec",
    ]) {
      cpSync(packageRoot(dependency), join(modules, dependency), { recursive: true });
    }
    const main = join(modules, "loopscope", "dist", "cli", "main.js");
    const options = {
      env: { PATH: process.env.PATH, HOME: "/tmp" },
      uid: 65_534,
      gid: 65_534,
      cwd: root,
    };
    try {
      return await run(process.execPath, [main, ...args], options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EACCES") throw error;
      return await run("/usr/bin/node", [main, ...args], options);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const require = createRequire(import.meta.url);

/** The folder of an installed package (some do not export their package.json). */
function packageRoot(name: string): string {
  let dir = dirname(require.resolve(name, { paths: [packageDir] }));
  while (!existsSync(join(dir, "package.json")) || !isPackage(dir, name)) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the folder of ${name}`);
    dir = parent;
  }
  return dir;
}

function isPackage(dir: string, name: string): boolean {
  return (
    (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string }).name === name
  );
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
        const asNobody = await runAsNobody(["inspect", pid!]);
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
