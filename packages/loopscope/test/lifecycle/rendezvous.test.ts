/**
 * The rendezvous directory: where it is, what is refused in it (each refusal planted for
 * real: chown to another uid needs root, as these tests run), and how a process under
 * loopscope uses it: created 0700, an unusable one said once on stderr, never thrown.
 * Every directory is a temporary one of its own: never this user's real one.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  UnsafeRendezvousError,
  checkRendezvousDir,
  ensureRendezvousDir,
  readRendezvousFile,
  rendezvousDir,
  rendezvousOwnerOf,
} from "../../src/lifecycle/index.js";
import { assertBuilt, cleanEnv, fixture, run, start } from "../fixtures/child-process.js";

const uid = process.getuid?.() ?? 0;
/** Someone else: `nobody` on most systems. */
const OTHER_UID = 65534;
const needsRoot = uid === 0 ? false : "needs root, to chown to another uid";
const needsProc = existsSync("/proc/self/environ") ? false : "needs /proc (Linux)";

const scratch = mkdtempSync(join(tmpdir(), "loopscope-rendezvous-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
/** A fresh folder in the scratch directory (0700, as mkdtemp makes it). */
const folder = (): string => mkdtempSync(join(scratch, `${++folders}-`));

/** The `UnsafeRendezvousError` with exactly `message`. */
const unsafe = (message: string) => (error: unknown) => {
  assert.ok(error instanceof UnsafeRendezvousError, String(error));
  assert.equal(error.message, message);
  assert.equal(error.code, "LOOPSCOPE_ERR_UNSAFE_RENDEZVOUS");
  return true;
};

describe("rendezvousDir", () => {
  it("is $XDG_RUNTIME_DIR/loopscope when XDG_RUNTIME_DIR is an absolute path", () => {
    const env = { XDG_RUNTIME_DIR: "/run/user/1000", TMPDIR: "/var/tmp" };
    assert.equal(rendezvousDir({ env, uid: 1000 }), "/run/user/1000/loopscope");
  });

  it("is <tmpdir>/loopscope-<uid> otherwise, tmpdir as os.tmpdir() computes it", () => {
    const dir = (env: Record<string, string>) => rendezvousDir({ env, uid: 7 });
    assert.equal(dir({}), "/tmp/loopscope-7");
    assert.equal(dir({ TMPDIR: "/var/tmp/" }), "/var/tmp/loopscope-7");
    assert.equal(dir({ TMPDIR: "", TMP: "/t" }), "/t/loopscope-7");
    assert.equal(dir({ XDG_RUNTIME_DIR: "relative/run", TEMP: "/temp" }), "/temp/loopscope-7");
    assert.equal(dir({ XDG_RUNTIME_DIR: "" }), "/tmp/loopscope-7");
    const own = { ...process.env, XDG_RUNTIME_DIR: undefined };
    assert.equal(rendezvousDir({ env: own, uid: 7 }), join(tmpdir(), "loopscope-7"));
  });
});

describe("rendezvousOwnerOf", () => {
  before(assertBuilt);

  it(
    "reads a live process's XDG_RUNTIME_DIR and TMPDIR and uid from /proc",
    {
      skip: needsProc,
    },
    async () => {
      const runtime = folder();
      const app = start(
        process.execPath,
        ["-e", "console.log('up'); setInterval(() => {}, 1000)"],
        {
          env: cleanEnv({ XDG_RUNTIME_DIR: runtime, TMPDIR: "/elsewhere" }),
        },
      );
      try {
        await app.waitForStdout(/up/);
        const owner = rendezvousOwnerOf(app.child.pid);
        assert.equal(owner.uid, uid);
        assert.equal(owner.env.XDG_RUNTIME_DIR, runtime);
        assert.equal(owner.env.TMPDIR, "/elsewhere");
        assert.equal(rendezvousDir(owner), join(runtime, "loopscope"));
      } finally {
        app.child.kill("SIGTERM");
      }
      await app.finished;
    },
  );

  it("falls back to this process's environment and uid where /proc has nothing", () => {
    const owner = rendezvousOwnerOf(99_999_999);
    assert.equal(owner.env, process.env);
    assert.equal(owner.uid, uid);
  });
});

describe("the rendezvous checks", () => {
  it("create a missing directory with mode 0700, and accept it", () => {
    const dir = join(folder(), "loopscope");
    assert.equal(checkRendezvousDir(dir, uid), "missing");
    ensureRendezvousDir(dir, uid);
    const stats = lstatSync(dir);
    assert.ok(stats.isDirectory());
    assert.equal(stats.mode & 0o777, 0o700);
    assert.equal(stats.uid, uid);
    assert.equal(checkRendezvousDir(dir, uid), "present");
    // Again: an existing, safe directory is used as it is.
    ensureRendezvousDir(dir, uid);
  });

  it("refuse a directory owned by someone else", { skip: needsRoot }, () => {
    const dir = join(folder(), "loopscope");
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, OTHER_UID, OTHER_UID);
    const message = `${dir} is owned by uid ${OTHER_UID}, not ${uid}: refusing to use it`;
    assert.throws(() => checkRendezvousDir(dir, uid), unsafe(message));
    assert.throws(() => ensureRendezvousDir(dir, uid), unsafe(message));
  });

  it("refuse a directory open to group or others", () => {
    const dir = join(folder(), "loopscope");
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    assert.throws(
      () => ensureRendezvousDir(dir, uid),
      unsafe(`${dir} is open to group or others (mode 0777, not 0700): refusing to use it`),
    );
    chmodSync(dir, 0o750);
    assert.throws(
      () => checkRendezvousDir(dir, uid),
      unsafe(`${dir} is open to group or others (mode 0750, not 0700): refusing to use it`),
    );
  });

  it("refuse a symbolic link in place of the directory, even to a safe one", () => {
    const base = folder();
    const real = join(base, "real");
    mkdirSync(real, { mode: 0o700 });
    const dir = join(base, "loopscope");
    symlinkSync(real, dir);
    const message = `${dir} is a symbolic link, not a directory: refusing to use it`;
    assert.throws(() => ensureRendezvousDir(dir, uid), unsafe(message));
    assert.deepEqual(readdirSync(real), []);
  });

  it("refuse a file in place of the directory", () => {
    const dir = join(folder(), "loopscope");
    writeFileSync(dir, "");
    const message = `${dir} is not a directory: refusing to use it`;
    assert.throws(() => ensureRendezvousDir(dir, uid), unsafe(message));
  });

  it("read a regular file of this uid, and nothing for a missing one", () => {
    const dir = folder();
    const file = join(dir, "1.dump");
    assert.equal(readRendezvousFile(file, uid), undefined);
    writeFileSync(file, "a dump\n", { mode: 0o600 });
    assert.equal(readRendezvousFile(file, uid), "a dump\n");
  });

  it("refuse a symbolic link in place of a file", () => {
    const dir = folder();
    const target = join(dir, "secret");
    writeFileSync(target, "not for loopscope\n");
    const file = join(dir, "1.dump");
    symlinkSync(target, file);
    assert.throws(
      () => readRendezvousFile(file, uid),
      unsafe(`${file} is a symbolic link, not a regular file: refusing to read it`),
    );
  });

  it("refuse a file owned by someone else", { skip: needsRoot }, () => {
    const file = join(folder(), "1.dump");
    writeFileSync(file, "planted\n");
    chownSync(file, OTHER_UID, OTHER_UID);
    assert.throws(
      () => readRendezvousFile(file, uid),
      unsafe(`${file} is owned by uid ${OTHER_UID}, not ${uid}: refusing to read it`),
    );
  });

  it("refuse what is not a regular file (a directory, a FIFO) without opening it", () => {
    const dir = folder();
    const sub = join(dir, "1.dump");
    mkdirSync(sub);
    assert.throws(
      () => readRendezvousFile(sub, uid),
      unsafe(`${sub} is not a regular file: refusing to read it`),
    );
    const fifo = join(dir, "2.dump");
    try {
      execFileSync("mkfifo", [fifo]);
    } catch {
      return; // No mkfifo here: the directory case stands for both.
    }
    assert.throws(
      () => readRendezvousFile(fifo, uid),
      unsafe(`${fifo} is not a regular file: refusing to read it`),
    );
  });
});

describe("a process under loopscope", () => {
  before(assertBuilt);

  const PRELOAD = ["--import", "loopscope/register"];
  /** The line the process says once when it goes without the files. */
  const GOING_ON = /^loopscope: .*; going on without the files `loopscope dump` reads/gm;

  it("creates its directory in XDG_RUNTIME_DIR with mode 0700 and leaves its marker there", async () => {
    const runtime = folder();
    const app = start(process.execPath, [...PRELOAD, fixture("pending-tasks.js")], {
      env: cleanEnv({ XDG_RUNTIME_DIR: runtime }),
    });
    try {
      const [, pid] = await app.waitForStdout(/ready (\d+)/);
      const dir = join(runtime, "loopscope");
      const stats = lstatSync(dir);
      assert.ok(stats.isDirectory());
      assert.equal(stats.mode & 0o777, 0o700);
      assert.equal(stats.uid, uid);
      const marker = lstatSync(join(dir, `${pid}.on`));
      assert.ok(marker.isFile());
      assert.equal(marker.mode & 0o777, 0o600);
      assert.doesNotMatch(app.stderr(), GOING_ON);
    } finally {
      app.child.kill("SIGTERM");
    }
    await app.finished;
  });

  it("without XDG_RUNTIME_DIR, uses <TMPDIR>/loopscope-<uid>, created 0700", async () => {
    const temp = folder();
    const app = start(process.execPath, [...PRELOAD, fixture("pending-tasks.js")], {
      env: cleanEnv({ XDG_RUNTIME_DIR: undefined, TMPDIR: temp }),
    });
    try {
      const [, pid] = await app.waitForStdout(/ready (\d+)/);
      const dir = rendezvousDir({ env: { TMPDIR: temp }, uid });
      assert.equal(dir, join(temp, `loopscope-${uid}`));
      assert.equal(lstatSync(dir).mode & 0o777, 0o700);
      assert.ok(existsSync(join(dir, `${pid}.on`)));
    } finally {
      app.child.kill("SIGTERM");
    }
    await app.finished;
  });

  it("goes on without the files when the directory cannot be created, and says so once", async () => {
    const runtime = join(folder(), "no-such-dir");
    const app = start(process.execPath, [...PRELOAD, fixture("pending-tasks.js")], {
      env: cleanEnv({ XDG_RUNTIME_DIR: runtime }),
    });
    try {
      await app.waitForStdout(/ready \d+/);
      // The dump tries the directory again: still unusable, not said again.
      app.child.kill("SIGUSR2");
      await app.waitForStderr(/handle cattle-ef56/);
      const said = app.stderr().match(GOING_ON) ?? [];
      assert.equal(said.length, 1, app.stderr());
      assert.match(said[0], /ENOENT.*no-such-dir\/loopscope/);
      assert.equal(app.child.exitCode, null);
      assert.equal(existsSync(runtime), false);
    } finally {
      app.child.kill("SIGTERM");
    }
    assert.equal((await app.finished).signal, "SIGTERM");
  });

  it("writeDump() resolves without files when the directory is unsafe (never rejects)", async () => {
    const runtime = folder();
    const dir = join(runtime, "loopscope");
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const script = `
      import { start, stop, writeDump } from "loopscope";
      start();
      const written = await writeDump();
      console.log(JSON.stringify({ text: written.text.length > 0, textFile: written.textFile ?? null, jsonFile: written.jsonFile ?? null }));
      await stop();
    `;
    const result = await run(process.execPath, ["--input-type=module", "-e", script], {
      env: cleanEnv({ XDG_RUNTIME_DIR: runtime }),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { text: true, textFile: null, jsonFile: null });
    const said = result.stderr.match(GOING_ON) ?? [];
    assert.deepEqual(said, [
      `loopscope: ${dir} is open to group or others (mode 0777, not 0700): refusing to use it; ` +
        "going on without the files `loopscope dump` reads",
    ]);
    assert.deepEqual(readdirSync(dir), []);
  });
});
