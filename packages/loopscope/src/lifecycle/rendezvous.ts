/**
 * The rendezvous directory: where a process under loopscope leaves the files
 * `loopscope dump` reads (`<pid>.on`, `<pid>.dump`, `<pid>.dump.json`). One per user and
 * private, as tmux keeps its sockets: `$XDG_RUNTIME_DIR/loopscope`, else
 * `<tmpdir>/loopscope-<uid>`. In a shared temporary directory anyone can plant a file or
 * a symbolic link under a name another user will open, so the directory and every file
 * read from it are checked here, by the process that writes and by the command that reads.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
} from "node:fs";
import type { Stats } from "node:fs";
import { isAbsolute, join } from "node:path";
import { LoopscopeError } from "../errors/index.js";
import { processEnvironment, processRealUid } from "./proc.js";

/** Whose rendezvous directory: a process's environment and real uid. */
export interface RendezvousOwner {
  /** `XDG_RUNTIME_DIR`, and `TMPDIR` (`TMP`, `TEMP`) for the tmpdir, as the process has them. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The process's real uid: the one the directory and its files must belong to. */
  readonly uid: number;
}

/**
 * The owner of process `pid`'s rendezvous directory: the environment it started with and
 * its real uid, from `/proc`, so a `loopscope dump` run from another shell (another
 * `TMPDIR`, no `XDG_RUNTIME_DIR`, root) still finds the directory the process uses. Where
 * `/proc` cannot be read (other systems), this process's own environment and uid stand in.
 */
export function rendezvousOwnerOf(pid: number = process.pid): RendezvousOwner {
  return {
    env: processEnvironment(pid) ?? process.env,
    uid: processRealUid(pid) ?? ownUid(),
  };
}

/**
 * The rendezvous directory of `owner` (by default this process): `$XDG_RUNTIME_DIR/loopscope`
 * when `XDG_RUNTIME_DIR` is an absolute path, else `<tmpdir>/loopscope-<uid>`.
 */
export function rendezvousDir(owner: RendezvousOwner = rendezvousOwnerOf()): string {
  const runtime = owner.env.XDG_RUNTIME_DIR;
  if (runtime !== undefined && isAbsolute(runtime)) return join(runtime, "loopscope");
  return join(tmpdirOf(owner.env), `loopscope-${owner.uid}`);
}

/**
 * `os.tmpdir()` on POSIX, for an environment that need not be this process's: the first
 * non-empty of TMPDIR, TMP, TEMP, else /tmp, without a trailing slash.
 */
function tmpdirOf(env: RendezvousOwner["env"]): string {
  // `||`, not `??`: Node skips empty variables too.
  const dir = env.TMPDIR || env.TMP || env.TEMP || "/tmp";
  return dir.length > 1 && dir.endsWith("/") ? dir.slice(0, -1) : dir;
}

/** Windows has no uids (nor SIGUSR2 to ask for a dump): 0 keeps the type simple there. */
function ownUid(): number {
  return typeof process.getuid === "function" ? process.getuid() : 0;
}

/**
 * A rendezvous directory or file loopscope will not use: someone else's, a symbolic link,
 * open to others. The message names the path and the fault, ready to print.
 */
export class UnsafeRendezvousError extends LoopscopeError {
  /** The directory or file at fault. */
  readonly path: string;

  constructor(path: string, fault: string, refused: "use" | "read") {
    super("LOOPSCOPE_ERR_UNSAFE_RENDEZVOUS", `${path} ${fault}: refusing to ${refused} it`);
    this.path = path;
  }
}

/**
 * Whether the rendezvous directory `dir` exists, checked: a real directory (not a
 * symbolic link), owned by `uid`, closed to group and others.
 *
 * @returns `"missing"` when there is nothing at `dir` yet.
 * @throws UnsafeRendezvousError when something is there that must not be used; other
 *   errors of `lstat` (a parent that cannot be searched) as they are.
 */
export function checkRendezvousDir(dir: string, uid: number): "present" | "missing" {
  let stats: Stats;
  try {
    stats = lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw error;
  }
  if (stats.isSymbolicLink()) {
    throw new UnsafeRendezvousError(dir, "is a symbolic link, not a directory", "use");
  }
  if (!stats.isDirectory()) throw new UnsafeRendezvousError(dir, "is not a directory", "use");
  if (stats.uid !== uid) {
    throw new UnsafeRendezvousError(dir, `is owned by uid ${stats.uid}, not ${uid}`, "use");
  }
  if ((stats.mode & 0o077) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(4, "0");
    throw new UnsafeRendezvousError(
      dir,
      `is open to group or others (mode ${mode}, not 0700)`,
      "use",
    );
  }
  return "present";
}

/**
 * Create the rendezvous directory `dir` (mode 0700) unless it exists, then check it as
 * {@link checkRendezvousDir} does. Its parent is not created: an XDG_RUNTIME_DIR or TMPDIR
 * that does not exist is the environment's fault, not something to paper over.
 *
 * @throws UnsafeRendezvousError, or the error of `mkdir`.
 */
export function ensureRendezvousDir(dir: string, uid: number): void {
  try {
    // mkdir does not follow a symbolic link at `dir`: it fails with EEXIST, and the check refuses it.
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  if (checkRendezvousDir(dir, uid) === "missing") {
    // Removed between mkdir and lstat: as good as a failed mkdir.
    throw new Error(`${dir} was removed as it was created`);
  }
}

// O_NOFOLLOW: a link swapped in after the lstat is refused by open itself. O_NONBLOCK: a
// FIFO swapped in does not hang the open. Both are 0 (absent) where the system lacks them.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * The content of `file`, a file in a checked rendezvous directory, if it is a regular
 * file (not a symbolic link) owned by `uid`.
 *
 * @returns `undefined` when the file does not exist (yet).
 * @throws UnsafeRendezvousError when it must not be read; other errors as they are.
 */
export function readRendezvousFile(file: string, uid: number): string | undefined {
  let fd: number;
  try {
    // lstat first, for a message that says what is wrong; the open re-checks what it opened.
    checkFile(file, lstatSync(file), uid);
    fd = openSync(file, READ_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") {
      throw new UnsafeRendezvousError(file, "is a symbolic link, not a regular file", "read");
    }
    throw error;
  }
  try {
    checkFile(file, fstatSync(fd), uid);
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

function checkFile(file: string, stats: Stats, uid: number): void {
  if (stats.isSymbolicLink()) {
    throw new UnsafeRendezvousError(file, "is a symbolic link, not a regular file", "read");
  }
  if (!stats.isFile()) throw new UnsafeRendezvousError(file, "is not a regular file", "read");
  if (stats.uid !== uid) {
    throw new UnsafeRendezvousError(file, `is owned by uid ${stats.uid}, not ${uid}`, "read");
  }
}
