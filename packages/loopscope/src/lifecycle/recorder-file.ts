/**
 * The flight recorder as a file, `<pid>.recorder.json` in the rendezvous directory: written
 * synchronously when the process is about to die of an uncaught exception or an unhandled
 * rejection, and when `loopscope dump <pid> --recorder` asks (a request file, then SIGUSR2).
 */
import { writeSync } from "node:fs";
import type { RecorderFile } from "../protocol/index.js";
import { PROTOCOL_VERSION } from "../protocol/index.js";
import { errorText, recordFatalRejection, wholeRecorderWindow } from "../recorder/index.js";
import { recorderFilePath, writeFileAtomic, writeFileAtomicSync } from "./dump-files.js";
import { ownRendezvousDir, sayRendezvousProblem } from "./own-rendezvous.js";

/** Why the file is written when `loopscope dump --recorder` asks. */
export const ASKED_REASON = "asked by loopscope dump";

/**
 * Write the recorder file when the process is about to die: an `uncaughtExceptionMonitor`
 * listener, which observes without handling (Node's behaviour does not change). The
 * process dies when nothing else handles the error: no `uncaughtException` listener and no
 * capture callback (`process.setUncaughtExceptionCaptureCallback`, domains). Under
 * `--unhandled-rejections=throw` (the default) or `strict`, an unhandled rejection comes
 * here too, with origin `unhandledRejection`. Returns the function that stops watching.
 */
export function writeRecorderOnFatalExit(): () => void {
  const onFatal = (error: unknown, origin: string): void => {
    try {
      if (process.listenerCount("uncaughtException") > 0) return;
      if (process.hasUncaughtExceptionCaptureCallback()) return;
      const rejection = origin === "unhandledRejection";
      if (rejection) recordFatalRejection(error);
      const reason = `${rejection ? "unhandled rejection" : "uncaught exception"}: ${errorText(error)}`;
      const path = writeRecorderFileSync(reason);
      if (path === undefined) return;
      writeSync(
        2,
        `loopscope: the flight recorder's last seconds before this ${rejection ? "rejection" : "exception"} are in ${path} (loopscope dump ${process.pid} --recorder prints them)\n`,
      );
    } catch {
      // The process is dying of the application's error: never add one of ours.
    }
  };
  process.on("uncaughtExceptionMonitor", onFatal);
  return () => {
    process.removeListener("uncaughtExceptionMonitor", onFatal);
  };
}

/**
 * Write the recorder file now, synchronously; its path, or `undefined` when it could not be
 * written (said once on stderr). Never throws.
 */
export function writeRecorderFileSync(reason: string): string | undefined {
  const dir = ownRendezvousDir();
  if (dir === undefined) return undefined;
  const path = recorderFilePath(process.pid, dir);
  try {
    writeFileAtomicSync(path, recorderJson(reason));
    return path;
  } catch (error) {
    sayRendezvousProblem(error);
    return undefined;
  }
}

/** Write the recorder file, as `loopscope dump --recorder` asked. Never rejects. */
export async function writeRecorderFile(
  reason: string = ASKED_REASON,
): Promise<string | undefined> {
  const dir = ownRendezvousDir();
  if (dir === undefined) return undefined;
  const path = recorderFilePath(process.pid, dir);
  try {
    await writeFileAtomic(path, recorderJson(reason));
    return path;
  } catch (error) {
    sayRendezvousProblem(error);
    return undefined;
  }
}

function recorderJson(reason: string): string {
  const window = wholeRecorderWindow();
  const file: RecorderFile = {
    protocol: PROTOCOL_VERSION,
    pid: process.pid,
    time: Date.now(),
    reason,
    ...(window === undefined ? {} : { window }),
  };
  return `${JSON.stringify(file)}\n`;
}
