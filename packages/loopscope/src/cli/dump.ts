import { unlink } from "node:fs/promises";
import {
  UnsafeRendezvousError,
  dumpFilePaths,
  rendezvousDir,
  rendezvousOwnerOf,
} from "../lifecycle/index.js";
import { dumpOverProtocol } from "./dump-url.js";
import { EXIT } from "./exit-codes.js";
import type { Rendezvous } from "./target.js";
import { dirPresent, fail, looksWithoutLoopscope, processExists, waitForFile } from "./target.js";

/** Options of `loopscope dump`. */
export interface DumpOptions {
  readonly json?: boolean;
  readonly timeoutMs?: string;
  readonly force?: boolean;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Ask process `pidText` for a task dump (SIGUSR2), wait for the file it writes and print
 * it on stdout. Resolves to the exit code.
 */
export async function dumpProcess(pidText: string, options: DumpOptions): Promise<number> {
  // A URL: the process serving the inspector there, over its protocol.
  if (/^https?:\/\//i.test(pidText)) return dumpOverProtocol(pidText, options);
  const pid = Number(pidText);
  if (!/^\d+$/.test(pidText) || !Number.isSafeInteger(pid) || pid < 1) {
    return fail(EXIT.USAGE, `pid must be a positive integer, got ${JSON.stringify(pidText)}`);
  }
  const timeoutMs =
    options.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : Number(options.timeoutMs);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    return fail(
      EXIT.USAGE,
      `--timeout-ms must be a positive integer, got ${JSON.stringify(options.timeoutMs)}`,
    );
  }

  const exists = processExists(pid);
  if (exists !== true) return exists;
  // The target's directory, from its environment and uid: this shell's may differ (another
  // TMPDIR, no XDG_RUNTIME_DIR, root dumping a user's process).
  const owner = rendezvousOwnerOf(pid);
  const place: Rendezvous = { dir: rendezvousDir(owner), uid: owner.uid };
  try {
    return await askForDump(pid, place, options, timeoutMs);
  } catch (error) {
    if (error instanceof UnsafeRendezvousError) {
      return fail(EXIT.UNSAFE_RENDEZVOUS, error.message);
    }
    throw error;
  }
}

/** @throws UnsafeRendezvousError when the directory or a file read from it is unsafe. */
async function askForDump(
  pid: number,
  place: Rendezvous,
  options: DumpOptions,
  timeoutMs: number,
): Promise<number> {
  if (options.force !== true && (await looksWithoutLoopscope(pid, place))) {
    return fail(
      EXIT.NOT_LOOPSCOPE,
      `process ${pid} does not seem to run loopscope, and SIGUSR2 would terminate it. ` +
        "Start it with `loopscope run -- ...` or `node --import loopscope/register ...`, " +
        "or pass --force if it calls start() itself.",
    );
  }

  const files = dumpFilePaths(pid, place.dir);
  const wanted = options.json === true ? files.json : files.text;
  // A dump left by an earlier request must not pass for the answer to this one. Only in a
  // directory that passed the checks: an unsafe one is refused before the process is asked.
  if (dirPresent(place)) {
    await Promise.all([files.text, files.json].map((file) => unlink(file).catch(() => undefined)));
  }
  process.kill(pid, "SIGUSR2");

  const content = await waitForFile(wanted, place, timeoutMs);
  if (content === undefined) {
    return fail(
      EXIT.NO_ANSWER,
      `process ${pid} did not answer within ${timeoutMs} ms: is it running with loopscope? ` +
        "try `loopscope run -- <command>`",
    );
  }
  process.stdout.write(content.endsWith("\n") ? content : `${content}\n`);
  return EXIT.OK;
}
