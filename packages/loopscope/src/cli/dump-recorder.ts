/**
 * `loopscope dump <pid | url> --recorder`: the flight recorder of a process (the last
 * seconds of tasks, blocks, GC pauses, rejections and blocking calls). Over the inspector's
 * protocol when the process serves it, otherwise by asking it (a request file, then
 * SIGUSR2) for `<pid>.recorder.json`; for a process that has died of an uncaught exception
 * or an unhandled rejection, the file it left.
 */
import { chownSync, unlinkSync, writeFileSync } from "node:fs";
import { unlink } from "node:fs/promises";
import {
  UnsafeRendezvousError,
  recorderFilePath,
  recorderRequestPath,
  rendezvousDir,
  rendezvousOwnerOf,
} from "../lifecycle/index.js";
import type { RecorderAnswer, RecorderFile } from "../protocol/index.js";
import { PROTOCOL_VERSION } from "../protocol/index.js";
import { renderRecorder } from "../render/index.js";
import { EXIT } from "./exit-codes.js";
import { servingInspector } from "./inspect.js";
import type { Rendezvous } from "./target.js";
import {
  dirPresent,
  fail,
  findTarget,
  inspectorUrl,
  isInspectorUrl,
  looksWithoutLoopscope,
  readChecked,
  refusingUnsafe,
  waitForFile,
} from "./target.js";

/** Options of `loopscope dump --recorder`. */
export interface RecorderDumpOptions {
  readonly json?: boolean;
  readonly timeoutMs?: string;
  readonly force?: boolean;
}

/** Entries asked for over the protocol: all the recorder keeps by default. */
const PROTOCOL_LIMIT = 4_096;
const DEFAULT_TIMEOUT_MS = 5_000;

/** Print the flight recorder of `target` (a pid or an inspector's URL); resolves to the exit code. */
export async function dumpRecorder(target: string, options: RecorderDumpOptions): Promise<number> {
  if (isInspectorUrl(target)) return recorderOverProtocol(target, options);
  const left = printLeftBehind(target, options);
  if (left !== undefined) return left;
  const found = findTarget(target, options.timeoutMs);
  if (typeof found === "number") return found;
  return refusingUnsafe(async () => {
    const address = await servingInspector(found.pid, found.place);
    if (address !== undefined) {
      return recorderOverProtocol(`${address.url}?token=${address.token}`, options);
    }
    return askForRecorder(found.pid, found.place, options, found.timeoutMs);
  });
}

/**
 * A process that is gone may have left its recorder at a fatal exit: print that file
 * (found where the process would have kept it, as this user's environment says). The exit
 * code, or `undefined` when the process is alive or left nothing.
 */
function printLeftBehind(pidText: string, options: RecorderDumpOptions): number | undefined {
  const pid = Number(pidText);
  if (!/^\d+$/.test(pidText) || !Number.isSafeInteger(pid) || pid < 1 || isAlive(pid)) {
    return undefined;
  }
  // Its environment is gone with it: this user's own says where the directory is.
  const owner = rendezvousOwnerOf(pid);
  const place = { dir: rendezvousDir(owner), uid: owner.uid };
  let content: string | undefined;
  try {
    content = readChecked(recorderFilePath(pid, place.dir), place);
  } catch (error) {
    if (error instanceof UnsafeRendezvousError) return fail(EXIT.UNSAFE_RENDEZVOUS, error.message);
    throw error;
  }
  return content === undefined ? undefined : printFile(content, pid, options, true);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: someone else's process, alive.
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** @throws UnsafeRendezvousError */
async function askForRecorder(
  pid: number,
  place: Rendezvous,
  options: RecorderDumpOptions,
  timeoutMs: number,
): Promise<number> {
  // SIGUSR2 terminates a Node process that does not listen to it: never send it blind.
  if (!dirPresent(place) || (options.force !== true && (await looksWithoutLoopscope(pid, place)))) {
    return fail(
      EXIT.NOT_LOOPSCOPE,
      `process ${pid} does not seem to run loopscope, and SIGUSR2 would terminate it. ` +
        "Start it with `loopscope run -- ...` or `node --import loopscope/register ...`, " +
        "or pass --force if it calls start() itself.",
    );
  }
  const file = recorderFilePath(pid, place.dir);
  // A file left by an earlier request (or an earlier process with this pid) must not pass
  // for the answer to this one.
  await unlink(file).catch(() => undefined);
  const request = recorderRequestPath(pid, place.dir);
  writeFileSync(request, `${process.pid}\n`, { mode: 0o600 });
  // The process reads only a request of its own user: root asking for a user's process
  // hands the file over.
  if (typeof process.getuid === "function" && process.getuid() !== place.uid) {
    chownSync(request, place.uid, -1);
  }
  process.kill(pid, "SIGUSR2");

  const content = await waitForFile(file, place, timeoutMs);
  if (content === undefined) {
    try {
      unlinkSync(request);
    } catch {
      // Taken by the process after all.
    }
    return fail(
      EXIT.NO_ANSWER,
      `process ${pid} did not write its flight recorder within ${timeoutMs} ms: is it running with loopscope?`,
    );
  }
  return printFile(content, pid, options, false);
}

function printFile(
  content: string,
  pid: number,
  options: RecorderDumpOptions,
  exited: boolean,
): number {
  let file: RecorderFile;
  try {
    file = JSON.parse(content) as RecorderFile;
  } catch {
    return fail(EXIT.NO_ANSWER, `process ${pid}'s recorder file is not JSON`);
  }
  const version: unknown = file.protocol;
  if (version !== PROTOCOL_VERSION) {
    return fail(
      EXIT.PROTOCOL_MISMATCH,
      `process ${pid}'s recorder file follows protocol ${String(version)}, this loopscope reads ${PROTOCOL_VERSION}`,
    );
  }
  print(file, options, exited);
  return EXIT.OK;
}

/** `loopscope dump <url> --recorder`: `GET /api/recorder` of the inspector at `urlText`. */
async function recorderOverProtocol(
  urlText: string,
  options: RecorderDumpOptions,
): Promise<number> {
  const address = inspectorUrl(urlText);
  if (typeof address === "number") return address;
  const { base, token } = address;
  const timeout = options.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : Number(options.timeoutMs);
  let answer: RecorderAnswer & { error?: { message?: string } };
  let pid: number;
  try {
    const get = async <T>(path: string): Promise<T> => {
      const response = await fetch(new URL(path, base), {
        headers: { Authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(
          Number.isInteger(timeout) && timeout > 0 ? timeout : DEFAULT_TIMEOUT_MS,
        ),
      });
      const body = (await response.json()) as T & {
        protocol?: unknown;
        error?: { message?: string };
      };
      if (!response.ok) {
        throw new Error(`${path}: ${response.status} ${body.error?.message ?? ""}`.trim());
      }
      if (body.protocol !== PROTOCOL_VERSION) {
        throw new Error(
          `${path}: protocol ${String(body.protocol)}, this loopscope reads ${PROTOCOL_VERSION}`,
        );
      }
      return body;
    };
    const [status, recorder] = await Promise.all([
      get<{ pid: number }>("api/status"),
      get<RecorderAnswer>(`api/recorder?limit=${PROTOCOL_LIMIT}`),
    ]);
    answer = recorder;
    pid = status.pid;
  } catch (error) {
    return fail(
      EXIT.NO_ANSWER,
      `no flight recorder from ${base.href}: ${(error as Error).message}`,
    );
  }
  const stale = answer.stale ? " (the loop is blocked: the last answer it gave)" : "";
  print(
    {
      protocol: PROTOCOL_VERSION,
      pid,
      time: answer.computedAt,
      reason: `asked over the inspector's protocol${stale}`,
      ...(answer.window === undefined ? {} : { window: answer.window }),
    },
    options,
    false,
  );
  return EXIT.OK;
}

/** The file as JSON (`--json`), or as text with a line saying whose and why. */
function print(file: RecorderFile, options: RecorderDumpOptions, exited: boolean): void {
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(file)}\n`);
    return;
  }
  const written = new Date(file.time).toISOString();
  const header = exited
    ? `process ${file.pid} has exited; the flight recorder it wrote at ${written}: ${file.reason}`
    : `process ${file.pid}: ${file.reason}`;
  if (file.window === undefined) {
    process.stdout.write(
      `${header}\nthe flight recorder is off in this process (LOOPSCOPE_RECORDER_SECONDS=0)\n`,
    );
    return;
  }
  process.stdout.write(`${header}\n${renderRecorder(file.window)}\n`);
}
