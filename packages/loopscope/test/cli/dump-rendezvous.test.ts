/**
 * `loopscope dump` and the rendezvous directory: it looks where the TARGET keeps its files
 * (its environment and uid, from /proc), and refuses, with exit code 6 and a line naming
 * the path and the fault, a directory or a file it must not trust. Each refusal is planted
 * for real (chown to another uid needs root, as these tests run) in a temporary
 * directory of its own; the target is told where with XDG_RUNTIME_DIR or TMPDIR.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { rendezvousDir } from "../../src/lifecycle/index.js";
import type { Running } from "../fixtures/child-process.js";
import { assertBuilt, cleanEnv, cliMain, fixture, run, start } from "../fixtures/child-process.js";

const EXIT_UNSAFE_RENDEZVOUS = 6;
const uid = process.getuid?.() ?? 0;
/** Someone else: `nobody` on most systems. */
const OTHER_UID = 65534;
const needsRoot = uid === 0 ? false : "needs root, to chown to another uid";
// Without /proc the command cannot see the target's environment: it uses its own.
const needsProc = existsSync("/proc/self/environ") ? false : "needs /proc (Linux)";

const scratch = mkdtempSync(join(tmpdir(), "loopscope-dump-rendezvous-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const folder = (): string => mkdtempSync(join(scratch, `${++folders}-`));

/** The command, in an environment of its own: not the target's XDG_RUNTIME_DIR, not its TMPDIR. */
function loopscope(args: readonly string[]) {
  return run(process.execPath, [cliMain, ...args], {
    env: cleanEnv({ XDG_RUNTIME_DIR: undefined, TMPDIR: folder() }),
  });
}

/** A program under the preload with a few pending tasks, in the environment `env`. */
async function preloaded(env: NodeJS.ProcessEnv): Promise<{ app: Running; pid: string }> {
  const app = start(
    process.execPath,
    ["--import", "loopscope/register", fixture("pending-tasks.js")],
    { env: cleanEnv(env) },
  );
  const [, pid] = await app.waitForStdout(/ready (\d+)/);
  return { app, pid: pid! };
}

/** Node without loopscope; on SIGUSR2 it runs `onDump` (CommonJS, `dir` and `file` in scope). */
async function impostor(
  runtime: string,
  onDump: string,
): Promise<{ app: Running; pid: number; dir: string }> {
  const dir = rendezvousDir({ env: { XDG_RUNTIME_DIR: runtime }, uid });
  mkdirSync(dir, { mode: 0o700 });
  const script = `
    const fs = require("node:fs");
    const dir = ${JSON.stringify(dir)};
    const file = dir + "/" + process.pid + ".dump";
    process.on("SIGUSR2", () => { ${onDump} });
    console.log("up");
    setInterval(() => {}, 1000);
  `;
  const app = start(process.execPath, ["-e", script], {
    env: cleanEnv({ XDG_RUNTIME_DIR: runtime }),
  });
  await app.waitForStdout(/up/);
  return { app, pid: app.child.pid!, dir };
}

async function stopped(app: Running): Promise<void> {
  app.child.kill("SIGTERM");
  assert.equal((await app.finished).signal, "SIGTERM");
}

describe("loopscope dump finds the target's rendezvous directory", { skip: needsProc }, () => {
  before(assertBuilt);

  it("in the target's XDG_RUNTIME_DIR, though the command's own environment has none", async () => {
    const runtime = folder();
    const { app, pid } = await preloaded({ XDG_RUNTIME_DIR: runtime });
    try {
      const result = await loopscope(["dump", pid]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /handle cattle-ab12/);
      assert.ok(existsSync(join(runtime, "loopscope", `${pid}.dump`)));
    } finally {
      await stopped(app);
    }
  });

  it("in the target's <TMPDIR>/loopscope-<uid>, though the command's TMPDIR differs", async () => {
    const temp = folder();
    const { app, pid } = await preloaded({ XDG_RUNTIME_DIR: undefined, TMPDIR: temp });
    try {
      const result = await loopscope(["dump", pid, "--json"]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal((JSON.parse(result.stdout) as { type: string }).type, "task-dump");
      assert.ok(existsSync(join(temp, `loopscope-${uid}`, `${pid}.dump.json`)));
    } finally {
      await stopped(app);
    }
  });
});

describe(
  "loopscope dump refuses an unsafe rendezvous directory (exit code 6)",
  {
    skip: needsProc,
  },
  () => {
    before(assertBuilt);

    /** Plants something unsafe at `dir` (`<runtime>/loopscope`); returns what is wrong with it. */
    interface Planted {
      readonly name: string;
      readonly skip: string | false;
      readonly plant: (dir: string, runtime: string) => string;
    }
    const plantings: Planted[] = [
      {
        name: "a directory owned by someone else",
        skip: needsRoot,
        plant: (dir) => {
          mkdirSync(dir, { mode: 0o700 });
          chownSync(dir, OTHER_UID, OTHER_UID);
          return `is owned by uid ${OTHER_UID}, not ${uid}`;
        },
      },
      {
        name: "a directory open to others",
        skip: false,
        plant: (dir) => {
          mkdirSync(dir);
          chmodSync(dir, 0o777);
          return "is open to group or others (mode 0777, not 0700)";
        },
      },
      {
        name: "a symbolic link in place of the directory",
        skip: false,
        plant: (dir, runtime) => {
          const elsewhere = join(runtime, "elsewhere");
          mkdirSync(elsewhere, { mode: 0o700 });
          symlinkSync(elsewhere, dir);
          return "is a symbolic link, not a directory";
        },
      },
    ];

    for (const planted of plantings) {
      it(
        `${planted.name}; the target keeps running and says so once`,
        {
          skip: planted.skip,
        },
        async () => {
          const runtime = folder();
          const dir = join(runtime, "loopscope");
          const fault = planted.plant(dir, runtime);
          const { app, pid } = await preloaded({ XDG_RUNTIME_DIR: runtime });
          try {
            const result = await loopscope(["dump", pid]);
            assert.equal(result.code, EXIT_UNSAFE_RENDEZVOUS, result.stderr);
            assert.equal(result.stderr, `loopscope: ${dir} ${fault}: refusing to use it\n`);
            assert.equal(result.stdout, "");

            // Two dumps asked for by hand: each on stderr, the refusal said once (at start).
            app.child.kill("SIGUSR2");
            await app.waitForStderr(/loopscope task dump/);
            app.child.kill("SIGUSR2");
            await app.waitForStderr(/(?:loopscope task dump[\s\S]*){2}/);
            const said = app.stderr().match(/^loopscope: .*refusing to use it.*$/gm) ?? [];
            assert.deepEqual(said, [
              `loopscope: ${dir} ${fault}: refusing to use it; going on without the files ` +
                "`loopscope dump` reads (a dump still goes to stderr and the events file)",
            ]);
            assert.equal(app.child.exitCode, null);
            // Nothing written there: no marker, no dump (root could have, past the checks).
            assert.deepEqual(readdirSync(dir), []);
          } finally {
            await stopped(app);
          }
        },
      );
    }

    it("refuses before signalling: a target without loopscope and --force survives", async () => {
      const runtime = folder();
      const dir = join(runtime, "loopscope");
      mkdirSync(dir);
      chmodSync(dir, 0o777);
      const app = start(
        process.execPath,
        ["-e", "console.log('up'); setInterval(() => {}, 1000)"],
        {
          env: cleanEnv({ XDG_RUNTIME_DIR: runtime }),
        },
      );
      try {
        await app.waitForStdout(/up/);
        const result = await loopscope(["dump", String(app.child.pid), "--force"]);
        assert.equal(result.code, EXIT_UNSAFE_RENDEZVOUS, result.stderr);
        assert.match(result.stderr, /is open to group or others/);
        assert.equal(app.child.exitCode, null);
      } finally {
        await stopped(app);
      }
    });
  },
);

describe(
  "loopscope dump refuses an unsafe file in the directory (exit code 6)",
  {
    skip: needsProc,
  },
  () => {
    before(assertBuilt);

    it("a symbolic link in place of the dump file", async () => {
      // The "dump" the command finds is a link to a file it must not print.
      const { app, pid, dir } = await impostor(folder(), 'fs.symlinkSync("/etc/passwd", file);');
      try {
        const result = await loopscope(["dump", String(pid), "--force"]);
        assert.equal(result.code, EXIT_UNSAFE_RENDEZVOUS, result.stderr);
        assert.equal(
          result.stderr,
          `loopscope: ${dir}/${pid}.dump is a symbolic link, not a regular file: refusing to read it\n`,
        );
        assert.equal(result.stdout, "");
      } finally {
        await stopped(app);
      }
    });

    it("a dump file owned by someone else", { skip: needsRoot }, async () => {
      // Written aside, chowned, renamed in: the command never sees it as this uid's.
      const plant = `
      fs.writeFileSync(file + ".tmp", "planted\\n");
      fs.chownSync(file + ".tmp", ${OTHER_UID}, ${OTHER_UID});
      fs.renameSync(file + ".tmp", file);
    `;
      const { app, pid, dir } = await impostor(folder(), plant);
      try {
        const result = await loopscope(["dump", String(pid), "--force"]);
        assert.equal(result.code, EXIT_UNSAFE_RENDEZVOUS, result.stderr);
        assert.equal(
          result.stderr,
          `loopscope: ${dir}/${pid}.dump is owned by uid ${OTHER_UID}, not ${uid}: refusing to read it\n`,
        );
        assert.doesNotMatch(result.stdout, /planted/);
      } finally {
        await stopped(app);
      }
    });

    it("a symbolic link in place of the marker: refused, not taken for loopscope's", async () => {
      const { app, pid, dir } = await impostor(folder(), "");
      try {
        const marker = join(dir, `${pid}.on`);
        symlinkSync("/etc/hostname", marker);
        const result = await loopscope(["dump", String(pid)]);
        assert.equal(result.code, EXIT_UNSAFE_RENDEZVOUS, result.stderr);
        assert.equal(
          result.stderr,
          `loopscope: ${marker} is a symbolic link, not a regular file: refusing to read it\n`,
        );
        // Not signalled: without the marker's word, SIGUSR2 could have killed it.
        assert.equal(app.child.exitCode, null);
      } finally {
        await stopped(app);
      }
    });
  },
);
