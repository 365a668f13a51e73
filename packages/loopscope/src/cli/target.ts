/**
 * What the commands that reach a running process share: whether it exists and runs
 * loopscope, its rendezvous directory, and reading files from it safely.
 */
import { unlinkSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import {
  UnsafeRendezvousError,
  checkRendezvousDir,
  onMarkerPath,
  processStartTicks,
  readRendezvousFile,
  rendezvousDir,
  rendezvousOwnerOf,
} from "../lifecycle/index.js";
import { EXIT } from "./exit-codes.js";

export /** A process's rendezvous directory and the uid it and its files must belong to. */
interface Rendezvous {
  readonly dir: string;
  readonly uid: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/** A running process a command will reach, and how long the command waits for it. */
export interface Target {
  readonly pid: number;
  readonly place: Rendezvous;
  readonly timeoutMs: number;
}

/**
 * The process `pidText` names, checked (a positive integer, a process this user may
 * signal) with its rendezvous directory, and `--timeout-ms`; or the exit code, said on
 * stderr, when either is wrong.
 */
export function findTarget(pidText: string, timeoutText: string | undefined): Target | number {
  const pid = Number(pidText);
  if (!/^\d+$/.test(pidText) || !Number.isSafeInteger(pid) || pid < 1) {
    return fail(EXIT.USAGE, `pid must be a positive integer, got ${JSON.stringify(pidText)}`);
  }
  const timeoutMs = timeoutText === undefined ? DEFAULT_TIMEOUT_MS : Number(timeoutText);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    return fail(
      EXIT.USAGE,
      `--timeout-ms must be a positive integer, got ${JSON.stringify(timeoutText)}`,
    );
  }
  const exists = processExists(pid);
  if (exists !== true) return exists;
  // The target's directory, from its environment and uid: this shell's may differ (another
  // TMPDIR, no XDG_RUNTIME_DIR, root asking about a user's process).
  const owner = rendezvousOwnerOf(pid);
  return { pid, place: { dir: rendezvousDir(owner), uid: owner.uid }, timeoutMs };
}

/** `ask`'s exit code, or 6 with its message when the rendezvous directory or a file is unsafe. */
export async function refusingUnsafe(ask: () => Promise<number>): Promise<number> {
  try {
    return await ask();
  } catch (error) {
    if (error instanceof UnsafeRendezvousError) return fail(EXIT.UNSAFE_RENDEZVOUS, error.message);
    throw error;
  }
}

function processExists(pid: number): true | number {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EPERM") return fail(EXIT.NOT_PERMITTED, `not allowed to signal process ${pid}`);
    return fail(EXIT.NO_SUCH_PROCESS, `no process with pid ${pid}`);
  }
}

/**
 * On Linux, a process's command line and initial environment tell whether the preload
 * was asked for (`--import .../loopscope/...`, directly or in `NODE_OPTIONS`). Where
 * they cannot be read (other systems, other users), assume it was.
 */
export async function looksWithoutLoopscope(pid: number, place: Rendezvous): Promise<boolean> {
  // A program that turned loopscope on itself (`start()`) leaves a marker while it is on.
  if (hasCurrentMarker(pid, place)) return false;
  let cmdline: string;
  let environ: string;
  try {
    [cmdline, environ] = await Promise.all([
      readFile(`/proc/${pid}/cmdline`, "utf8"),
      readFile(`/proc/${pid}/environ`, "utf8"),
    ]);
  } catch {
    return false;
  }
  const nodeOptions = environ
    .split("\0")
    .find((entry) => entry.startsWith("NODE_OPTIONS="))
    ?.split(/\s+/);
  return !preloadsLoopscope(cmdline.split("\0")) && !preloadsLoopscope(nodeOptions ?? []);
}

/**
 * Whether process `pid` left a marker that is still its own: a marker whose start time is
 * not this process's was left by an earlier process with the same pid (killed before it
 * could remove it), and is removed rather than trusted.
 */
function hasCurrentMarker(pid: number, place: Rendezvous): boolean {
  const marker = onMarkerPath(pid, place.dir);
  const content = readChecked(marker, place);
  if (content === undefined) return false;
  const writtenStart = content.trim().split(" ")[1];
  const actualStart = processStartTicks(pid);
  if (writtenStart === undefined || actualStart === undefined || writtenStart === actualStart) {
    return true;
  }
  try {
    unlinkSync(marker);
  } catch {
    // Someone else's file, or gone already: it is ignored either way.
  }
  return false;
}

/** `--import X`, `--import=X`, `--require X`, `-r X` where X names loopscope. */
function preloadsLoopscope(args: readonly string[]): boolean {
  return args.some((arg, i) => {
    const inline = /^--(?:import|require|loader|experimental-loader)=(.*)$/.exec(arg)?.[1];
    const next = /^(?:--import|--require|-r|--loader|--experimental-loader)$/.test(arg)
      ? args[i + 1]
      : undefined;
    return /loopscope/i.test(inline ?? next ?? "");
  });
}

/** Poll with backoff (10 ms doubling to 200 ms): cheap, and works on every file system. */
export async function waitForFile(
  file: string,
  place: Rendezvous,
  timeoutMs: number,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  for (;;) {
    const content = readChecked(file, place);
    if (content !== undefined) return content;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, 200);
  }
}

/**
 * `file` of the rendezvous directory, read once the directory and the file pass the
 * checks; `undefined` while either is missing or cannot be read.
 *
 * @throws UnsafeRendezvousError: an unsafe directory or file is refused, never taken for
 *   a missing one.
 */
export function readChecked(file: string, place: Rendezvous): string | undefined {
  if (!dirPresent(place)) return undefined;
  try {
    return readRendezvousFile(file, place.uid);
  } catch (error) {
    if (error instanceof UnsafeRendezvousError) throw error;
    return undefined;
  }
}

/**
 * Whether the directory exists and passes the checks. One this user cannot look into
 * counts as missing: the wait then ends in "no answer", as before there was a directory.
 *
 * @throws UnsafeRendezvousError
 */
export function dirPresent(place: Rendezvous): boolean {
  try {
    return checkRendezvousDir(place.dir, place.uid) === "present";
  } catch (error) {
    if (error instanceof UnsafeRendezvousError) throw error;
    return false;
  }
}

/** Whether a command's target is an inspector's URL rather than a pid. */
export function isInspectorUrl(target: string): boolean {
  return /^https?:\/\//i.test(target);
}

/**
 * An inspector's URL as `loopscope inspect` prints it: the base URL without the token,
 * and the token (from `?token=`, else `LOOPSCOPE_TOKEN`); or the exit code, said on
 * stderr, when the URL is not one or carries no token.
 */
export function inspectorUrl(
  text: string,
): { readonly base: URL; readonly token: string } | number {
  let base: URL;
  try {
    base = new URL(text);
  } catch {
    return fail(EXIT.USAGE, `not a URL: ${JSON.stringify(text)}`);
  }
  const token = base.searchParams.get("token") ?? process.env.LOOPSCOPE_TOKEN;
  if (token === undefined || token === "") {
    return fail(EXIT.USAGE, "the URL carries no token (?token=...) and LOOPSCOPE_TOKEN is not set");
  }
  base.search = "";
  base.hash = "";
  return { base, token };
}

export function fail(code: number, message: string): number {
  process.stderr.write(`loopscope: ${message}\n`);
  return code;
}
