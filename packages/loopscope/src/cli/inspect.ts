import { chownSync, unlinkSync, writeFileSync } from "node:fs";
import { inspectFilePath, inspectRequestPath } from "../lifecycle/index.js";
import type { InspectorAddress } from "../protocol/index.js";
import { EXIT } from "./exit-codes.js";
import type { Rendezvous } from "./target.js";
import {
  dirPresent,
  fail,
  findTarget,
  looksWithoutLoopscope,
  readChecked,
  refusingUnsafe,
  waitForFile,
} from "./target.js";

/** Options of `loopscope inspect`. */
export interface InspectOptions {
  readonly json?: boolean;
  readonly timeoutMs?: string;
}

/**
 * Open the inspector of process `pidText`, which runs loopscope (the preload, or `start()`)
 * with the inspector off, or find the one it runs: leave a request in its rendezvous
 * directory, send SIGUSR2, and wait for the address file the process writes there (mode
 * 0600). Prints the URL with its token (or, with `--json`, the address) on stdout: the
 * token reaches the user who asked, never the process's output. Resolves to the exit code.
 */
export async function inspectProcess(pidText: string, options: InspectOptions): Promise<number> {
  const address = await inspectorOf(pidText, options.timeoutMs);
  if (typeof address === "number") return address;
  process.stdout.write(
    options.json === true
      ? `${JSON.stringify(address)}\n`
      : `${address.url}?token=${address.token}\n`,
  );
  return EXIT.OK;
}

/**
 * The inspector of process `pidText`: the one it serves, or one it opens when asked (as
 * `loopscope inspect` does); or the exit code, said on stderr. `loopscope top <pid>` reads
 * the same address.
 */
export async function inspectorOf(
  pidText: string,
  timeoutText: string | undefined,
): Promise<InspectorAddress | number> {
  const target = findTarget(pidText, timeoutText);
  if (typeof target === "number") return target;
  let address: InspectorAddress | number = EXIT.NO_ANSWER;
  const code = await refusingUnsafe(async () => {
    address = await askForInspector(target.pid, target.place, target.timeoutMs);
    return typeof address === "number" ? address : EXIT.OK;
  });
  return code === EXIT.OK ? address : code;
}

/**
 * The address of the inspector process `pid` serves now (turned on at start, or opened
 * on demand before), read from its address file; `undefined` when it serves none.
 *
 * @throws UnsafeRendezvousError
 */
export async function servingInspector(
  pid: number,
  place: Rendezvous,
): Promise<InspectorAddress | undefined> {
  return liveAddress(readChecked(inspectFilePath(pid, place.dir), place), pid);
}

async function askForInspector(
  pid: number,
  place: Rendezvous,
  timeoutMs: number,
): Promise<InspectorAddress | number> {
  const addressFile = inspectFilePath(pid, place.dir);
  // Already serving (turned on at start, or asked before): say where, without a signal.
  const known = await servingInspector(pid, place);
  if (known !== undefined) return known;

  // SIGUSR2 terminates a Node process that does not listen to it: never send it blind.
  if (!dirPresent(place) || (await looksWithoutLoopscope(pid, place))) {
    return fail(
      EXIT.NOT_LOOPSCOPE,
      `process ${pid} does not seem to run loopscope, and SIGUSR2 would terminate it. ` +
        "Start it with `loopscope run -- ...` or `node --import loopscope/register ...`.",
    );
  }
  try {
    unlinkSync(addressFile);
  } catch {
    // None left by an earlier process with this pid.
  }
  const request = inspectRequestPath(pid, place.dir);
  writeFileSync(request, `${process.pid}\n`, { mode: 0o600 });
  // The process reads only a request of its own user: root asking for a user's process
  // hands the file over.
  if (typeof process.getuid === "function" && process.getuid() !== place.uid) {
    chownSync(request, place.uid, -1);
  }
  process.kill(pid, "SIGUSR2");

  const content = await waitForFile(addressFile, place, timeoutMs);
  const address = await liveAddress(content, pid);
  if (address === undefined) {
    try {
      unlinkSync(request);
    } catch {
      // Taken by the process after all.
    }
    return fail(
      EXIT.NO_ANSWER,
      `process ${pid} did not open its inspector within ${timeoutMs} ms: is it running with loopscope?`,
    );
  }
  return address;
}

/**
 * The address in `content` if it is process `pid`'s and its server answers: a file left
 * by an earlier process with the same pid (killed by a signal) must not pass for it.
 */
async function liveAddress(
  content: string | undefined,
  pid: number,
): Promise<InspectorAddress | undefined> {
  if (content === undefined) return undefined;
  let address: InspectorAddress;
  try {
    address = JSON.parse(content) as InspectorAddress;
  } catch {
    return undefined;
  }
  if (address.pid !== pid || typeof address.url !== "string") return undefined;
  try {
    const response = await fetch(new URL("api/status", address.url), {
      headers: { Authorization: `Bearer ${address.token}` },
      signal: AbortSignal.timeout(2_000),
    });
    const status = (await response.json()) as { pid?: unknown };
    return response.ok && status.pid === pid ? address : undefined;
  } catch {
    return undefined;
  }
}
