import { isMainThread } from "node:worker_threads";
import { emit } from "../events/index.js";
import type { TaskRef } from "../report/index.js";
import {
  contextTaskRefOfPromise,
  currentTask,
  promiseCreationFrames,
  setDebugTracking,
  taskRef,
  taskRefOfPromise,
} from "../tasks/index.js";
import { BlockingCallMonitor } from "./blocking-calls.js";
import { RejectionMonitor } from "./rejections.js";

/** Options of {@link setDebug}. */
export interface DebugOptions {
  /**
   * Milliseconds between two `blocking-call` reports from the same call site; calls in
   * between are counted into the next report. Default 10,000.
   */
  readonly blockingCallWindowMs?: number;
}

interface DebugState {
  readonly blocking: BlockingCallMonitor | undefined;
  readonly rejections: RejectionMonitor;
}

let state: DebugState | undefined;

function currentTaskRef(): TaskRef | undefined {
  const task = currentTask();
  return task === undefined ? undefined : taskRef(task);
}

/**
 * Turn debug mode on or off, like `loop.set_debug()` (the preload does it for
 * `LOOPSCOPE_DEBUG=1`). On:
 * - unhandled rejections are reported with where the failed work was created, and a
 *   task that failed while nobody awaited it as `task-exception-never-retrieved`;
 *   Node's own handling (and exit code) is unchanged;
 * - blocking synchronous calls (`fs.*Sync`, `child_process.*Sync`, `zlib.*Sync`,
 *   `crypto.*Sync`, `Atomics.wait`) on the main thread after start-up are reported as
 *   `blocking-call` events with their call line, rate-limited per call site;
 * - the tasks' debug tracking is on (await lines of every pending async call).
 * Off: every wrapper and hook is removed; nothing is left to cost anything.
 *
 * @throws TypeError when `on` is not a boolean or an option is invalid.
 * @example
 * ```ts
 * import { setDebug } from "loopscope";
 * setDebug(true);
 * ```
 */
export function setDebug(on: boolean, options: DebugOptions = {}): void {
  if (typeof on !== "boolean") {
    throw new TypeError(`setDebug: "on" must be a boolean, received ${typeof on}`);
  }
  const windowMs = options.blockingCallWindowMs;
  if (windowMs !== undefined && (!Number.isFinite(windowMs) || windowMs < 0)) {
    throw new TypeError(
      `setDebug: "blockingCallWindowMs" must be a non-negative number, received ${String(windowMs)}`,
    );
  }
  if (on) turnOn(windowMs);
  else turnOff();
}

/** Whether debug mode is on. */
export function isDebug(): boolean {
  return state !== undefined;
}

function turnOn(windowMs: number | undefined): void {
  if (state !== undefined) return;
  setDebugTracking(true);
  // A worker's own synchronous calls do not block the main loop.
  const blocking = isMainThread
    ? new BlockingCallMonitor({
        report: emit,
        currentTask: currentTaskRef,
        ...(windowMs === undefined ? {} : { windowMs }),
      })
    : undefined;
  const rejections = new RejectionMonitor({
    report: emit,
    taskOfPromise: taskRefOfPromise,
    contextTaskOf: contextTaskRefOfPromise,
    creationOf: promiseCreationFrames,
  });
  blocking?.install();
  rejections.install();
  state = { blocking, rejections };
}

function turnOff(): void {
  const current = state;
  if (current === undefined) return;
  state = undefined;
  current.blocking?.uninstall();
  current.rejections.uninstall();
  setDebugTracking(false);
}
