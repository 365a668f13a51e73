import { isMainThread } from "node:worker_threads";
import { emit, onEvent } from "../events/index.js";
import { sayNewSkips } from "../patches/index.js";
import {
  contextTaskRefOfPromise,
  currentTaskRef,
  promiseCreationFrames,
  setDebugTracking,
  taskRefOfPromise,
} from "../tasks/index.js";
import { BlockingCallMonitor } from "./blocking-calls.js";
import { RejectionMonitor } from "./rejections.js";
import { SlowCallbackMonitor } from "./slow-callbacks.js";

/** Options of {@link setDebug}. */
export interface DebugOptions {
  /**
   * Milliseconds between two `blocking-call` reports from the same call site; calls in
   * between are counted into the next report. Default 10,000. Given while debug mode is
   * already on, it replaces the current window (at once, for every call site); left out,
   * the current window stays.
   */
  readonly blockingCallWindowMs?: number;
}

interface DebugState {
  readonly blocking: BlockingCallMonitor | undefined;
  readonly slowCallbacks: SlowCallbackMonitor | undefined;
  readonly rejections: RejectionMonitor;
}

let state: DebugState | undefined;

/**
 * Turn debug mode on or off, like `loop.set_debug()` (the preload does it for
 * `LOOPSCOPE_DEBUG=1`). On:
 * - unhandled rejections are reported with where the failed work was created, and a
 *   task that failed while nobody awaited it as `task-exception-never-retrieved`;
 *   Node's own handling (and exit code) is unchanged;
 * - blocking synchronous calls (`fs.*Sync`, `child_process.*Sync`, `zlib.*Sync`,
 *   `crypto.*Sync`, `Atomics.wait`) on the main thread after start-up are reported as
 *   `blocking-call` events with their call line, rate-limited per call site;
 * - a `loop-blocked` report the watchdog could not see into (no stack, no task) is
 *   followed by a `slow-callback` event naming the line and the task of a blocking call
 *   that took at least half of that stall;
 * - the tasks' debug tracking is on (await lines of every pending async call).
 * Off: every wrapper and hook is removed; nothing is left to cost anything.
 *
 * Calling it again while on applies the options given (`setDebug(true, {
 * blockingCallWindowMs: 1000 })` changes the window of a debug mode already on) and keeps
 * everything else as it is. Turning it off forgets the options: the next `setDebug(true)`
 * starts from the defaults.
 *
 * @throws TypeError when `on` is not a boolean or an option is invalid.
 * @example
 * ```ts
 * import { setDebug } from "loopscope";
 * setDebug(true);
 * ```
 */
export function setDebug(on: boolean, options: DebugOptions = {}): void {
  applyDebug(on, options);
  // Turned on through the API after start-up: what it could not wrap is said now.
  if (on) sayNewSkips();
}

/**
 * {@link setDebug} without the diagnostic line: `start()` says everything it could not
 * install in one line once it is done.
 *
 * @internal
 */
export function applyDebug(on: boolean, options: DebugOptions = {}): void {
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
  if (state !== undefined) {
    // Already on: apply what was asked for now (the monitors stay, with their state).
    if (windowMs !== undefined && state.blocking !== undefined) {
      state.blocking.windowMs = windowMs;
    }
    return;
  }
  setDebugTracking(true);
  // A worker's own synchronous calls do not block the main loop.
  const slowCallbacks = isMainThread
    ? new SlowCallbackMonitor({ report: emit, subscribe: onEvent })
    : undefined;
  const blocking = isMainThread
    ? new BlockingCallMonitor({
        report: emit,
        currentTask: currentTaskRef,
        ...(slowCallbacks === undefined ? {} : { onTimedCall: slowCallbacks.record }),
        ...(windowMs === undefined ? {} : { windowMs }),
      })
    : undefined;
  const rejections = new RejectionMonitor({
    report: emit,
    taskOfPromise: taskRefOfPromise,
    contextTaskOf: contextTaskRefOfPromise,
    creationOf: promiseCreationFrames,
  });
  slowCallbacks?.install();
  blocking?.install();
  rejections.install();
  state = { blocking, slowCallbacks, rejections };
}

function turnOff(): void {
  const current = state;
  if (current === undefined) return;
  state = undefined;
  current.blocking?.uninstall();
  current.slowCallbacks?.uninstall();
  current.rejections.uninstall();
  setDebugTracking(false);
}
