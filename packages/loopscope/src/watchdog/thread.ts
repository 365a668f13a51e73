/**
 * Starts the watchdog thread (`worker.ts`, compiled to `dist/watchdog/worker.js`) from the
 * file beside this one: the `.js` when loopscope runs from `dist/` (the preload, the
 * `loopscope run` command, the library), the `.ts` when its sources run under tsx (the
 * tests), told apart by this module's own extension.
 *
 * The thread runs none of the process's options: `--import loopscope/register` would run
 * inside it too, and so would any other preload, `--require`, or `--frozen-intrinsics`. A
 * Worker inherits its parent's `execArgv` by default, so its execArgv is empty; and a Worker
 * with an execArgv of its own parses `NODE_OPTIONS` again (that is how `loopscope run`
 * preloads), so its environment is the process's without `NODE_OPTIONS`. The thread loads
 * its own file and the protocol, nothing else.
 */
import { Worker } from "node:worker_threads";
import type { WatchdogThreadData } from "./thread-protocol.js";

/** How to start one of loopscope's threads: `new Worker(filename, { eval })`. */
export interface ThreadEntry {
  /** The worker file's URL, or source text that loads it. */
  readonly filename: URL | string;
  readonly eval: boolean;
}

/**
 * The worker file beside this module, with the same extension: `worker.js` is started
 * directly; `worker.ts` through a two-line bootstrap that registers tsx's ESM hooks in the
 * thread, then imports it. (tsx in the worker's execArgv is not enough: on Node 20 the
 * worker's entry point is loaded without the hooks `--import tsx/esm` registers, "Unknown
 * file extension .ts"; on 22–26, with an eval'd entry, its `.js` imports are not mapped.)
 */
export function watchdogThreadEntry(moduleUrl: string = import.meta.url): ThreadEntry {
  return threadEntry("./worker", moduleUrl);
}

/**
 * The entry of a thread whose program is `relativePath` (without extension) from the
 * module at `moduleUrl`, with that module's extension: as {@link watchdogThreadEntry}
 * does for the watchdog, for any of loopscope's threads (the inspector's server).
 */
export function threadEntry(relativePath: string, moduleUrl: string): ThreadEntry {
  const typeScript = new URL(moduleUrl).pathname.endsWith(".ts");
  const file = new URL(`${relativePath}${typeScript ? ".ts" : ".js"}`, moduleUrl);
  if (!typeScript) return { filename: file, eval: false };
  const api = JSON.stringify(tsxApiUrl());
  const bootstrap =
    `import(${api}).then(({ register }) => {\n` +
    `  register();\n` +
    `  return import(${JSON.stringify(file.href)});\n` +
    `});\n`;
  return { filename: bootstrap, eval: true };
}

/**
 * tsx's ESM API, resolved from here (a dev dependency: only loopscope's own sources run as
 * `.ts`). If it cannot be resolved, the thread fails to start and the watchdog falls back
 * to durations only, with its warning.
 */
function tsxApiUrl(): string {
  try {
    return import.meta.resolve("tsx/esm/api");
  } catch {
    return "tsx/esm/api";
  }
}

/**
 * Start the watchdog thread, unref'd: it never keeps the process alive. Its stdout and
 * stderr go to the process's own. Throws what `new Worker` throws.
 */
export function startWatchdogThread(
  data: WatchdogThreadData,
  onMessage: (message: unknown) => void,
  onError: (error: unknown) => void,
): Worker {
  const worker = startLoopscopeThread(watchdogThreadEntry(), "loopscope-watchdog", data);
  worker.on("message", onMessage);
  worker.on("error", onError);
  // After the listeners: adding a "message" listener refs the worker's port again.
  worker.unref();
  return worker;
}

/**
 * Start one of loopscope's threads (the watchdog's, the inspector's server) from `entry`
 * (see {@link threadEntry}): with none of the process's options nor `NODE_OPTIONS` (see
 * the module comment), its output the process's own. Ref'd: the caller decides when it
 * stops counting. Throws what `new Worker` throws.
 */
export function startLoopscopeThread(
  entry: ThreadEntry,
  name: string,
  workerData: unknown,
): Worker {
  return new Worker(entry.filename, {
    eval: entry.eval,
    execArgv: [],
    env: environmentWithoutNodeOptions(),
    workerData,
    stdout: false,
    stderr: false,
    name,
  });
}

function environmentWithoutNodeOptions(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}
