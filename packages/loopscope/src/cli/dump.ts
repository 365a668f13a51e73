import { unlink } from "node:fs/promises";
import { dumpFilePaths } from "../lifecycle/index.js";
import { dumpRecorder } from "./dump-recorder.js";
import { dumpOverProtocol } from "./dump-url.js";
import { EXIT } from "./exit-codes.js";
import { servingInspector } from "./inspect.js";
import type { Rendezvous } from "./target.js";
import {
  dirPresent,
  fail,
  findTarget,
  isInspectorUrl,
  looksWithoutLoopscope,
  refusingUnsafe,
  waitForFile,
} from "./target.js";

/** Options of `loopscope dump`. */
export interface DumpOptions {
  readonly json?: boolean;
  readonly timeoutMs?: string;
  readonly force?: boolean;
  /** The flight recorder instead of a task dump. */
  readonly recorder?: boolean;
}

/**
 * Print a task dump of process `pidText` on stdout: over the protocol when it serves its
 * inspector (its address file says where), otherwise by asking it (SIGUSR2) and waiting
 * for the file it writes. With `recorder`, its flight recorder instead (`dump-recorder.ts`).
 * Resolves to the exit code.
 */
export async function dumpProcess(pidText: string, options: DumpOptions): Promise<number> {
  if (options.recorder === true) return dumpRecorder(pidText, options);
  // A URL: the process serving the inspector there, over its protocol.
  if (isInspectorUrl(pidText)) return dumpOverProtocol(pidText, options);
  const target = findTarget(pidText, options.timeoutMs);
  if (typeof target === "number") return target;
  return refusingUnsafe(async () => {
    // A process that serves its inspector answers over the protocol, without a signal.
    const address = await servingInspector(target.pid, target.place);
    if (address !== undefined) {
      return dumpOverProtocol(`${address.url}?token=${address.token}`, options);
    }
    return askForDump(target.pid, target.place, options, target.timeoutMs);
  });
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
