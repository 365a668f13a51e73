import { createRequire, syncBuiltinESMExports } from "node:module";
import { promiseHooks } from "node:v8";
import { recordSkip, replaceProperty } from "../patches/index.js";
import { captureCallerStack } from "../stacks/index.js";
import type { RawStack } from "../stacks/index.js";
import { context, switchTask } from "./context.js";
import type { TaskImpl } from "./task.js";
import {
  contextTaskOf,
  ownerTaskOf,
  setContextTask,
  setCreation,
  setTimerMs,
  timerMsOf,
} from "./promise-tags.js";
import { StackSampler } from "./sampler.js";

/**
 * Debug mode: V8 promise hooks carry the current task across `await`s and remember,
 * for every suspended async function call, the line of the `await` it is suspended on.
 *
 * How an `await` shows up in the hooks: V8 creates a "throwaway" promise for it and
 * calls `init(throwaway, awaitedPromise)` while the async function is still on the
 * stack, then `before(throwaway)` when the function resumes. So a pending await is a
 * throwaway seen in `init` and not yet in `before`; its stack's top frame is the await.
 * `p.then()` looks the same to the hooks (its derived promise has a parent); those are
 * recognised at dump time by their top frame (`Promise.then`, a built-in) and skipped.
 *
 * Per-task time: `before` counts a step of the task the resuming promise belongs to and
 * `switchTask` charges the clock to one task at a time (busy time); idle is age − busy.
 * The clock is read only around a task's steps (two `performance.now()`, ~60 ns each).
 *
 * Costs: the hooks themselves (~0.7x on a promise-heavy pipeline, measured), and one
 * small stack capture (~1.5 µs) per await and per promise creation, sampled under load.
 * Nothing is formatted until a dump asks.
 */

/**
 * One suspended await (or pending `then`): plain fields, no closure. Records are kept in
 * the order they were made (`pendingAwaits` is a Map), so no sequence number is needed.
 */
export class AwaitRecord {
  constructor(
    readonly raw: RawStack,
    readonly sinceMs: number,
    readonly task: TaskImpl | undefined,
    /** The awaited promise, weakly: holding it would keep alive what it waits on. */
    readonly awaited: WeakRef<object>,
    /** The awaited promise is this task's promise. */
    readonly awaitedTask: TaskImpl | undefined,
    /** The awaited promise is a timers/promises timer of this many ms; -1 if not. */
    readonly timerMs: number,
  ) {}
}

/** Upper bound of remembered pending awaits; beyond it, new ones are counted, not kept. */
const MAX_PENDING_AWAITS = 200_000;
/** Frames per await capture: the await itself plus a few `async` callers. */
const AWAIT_FRAMES = 7;
/** Frames per promise creation capture: `new Promise`, then its caller. */
const CREATION_FRAMES = 4;

/** Pending awaits by their throwaway promise. */
export const pendingAwaits = new Map<object, AwaitRecord>();

/**
 * Await sites and plain promises' creation sites: freely up to 10,000 a second, then 1 in
 * 128. Captures are most of debug mode's cost (27 % of Mayhem's time at 20,000 a second
 * and 1 in 64, for 2.8 times slower in all); a dump groups tasks waiting on one line, so a
 * loaded dump still names every line that many tasks wait on.
 */
export const awaitSampler = new StackSampler(10_000, 1_000, 128);
export const debugStats = { droppedAwaits: 0 };

let stopHooks: (() => void) | undefined;
const savedContexts: (TaskImpl | undefined)[] = [];

function onInit(promise: Promise<unknown>, parent: Promise<unknown> | undefined): void {
  if (context.quiet) return;
  const task = context.current;
  if (task !== undefined) setContextTask(promise, task);
  // No clock read here: once per promise it would cost more than the captures it gates.
  if (parent === undefined) {
    if (awaitSampler.take()) setCreation(promise, captureCallerStack(CREATION_FRAMES));
    return;
  }
  // `await value` (not a promise) first wraps the value in a promise whose parent is the
  // async function's own, then awaits the wrapper: the wrapper looked like an await but
  // never resumes anything. A promise that is itself awaited or chained is no suspended
  // await, so its record goes (otherwise every `await null` would leave one behind).
  pendingAwaits.delete(parent);
  if (pendingAwaits.size >= MAX_PENDING_AWAITS) {
    debugStats.droppedAwaits++;
    return;
  }
  if (!awaitSampler.take()) return;
  const record = new AwaitRecord(
    captureCallerStack(AWAIT_FRAMES),
    performance.now(),
    task,
    new WeakRef(parent),
    ownerTaskOf(parent),
    timerMsOf(parent),
  );
  pendingAwaits.set(promise, record);
}

/**
 * A promise reaction is about to run: an `await` resuming or a `then` callback. For a
 * task's promise that is one step of the task: counted, and timed until `after`.
 */
function onBefore(promise: Promise<unknown>): void {
  pendingAwaits.delete(promise);
  savedContexts.push(context.current);
  const task = contextTaskOf(promise);
  if (task !== undefined) task.steps++;
  switchTask(task);
}

function onAfter(): void {
  switchTask(savedContexts.pop());
}

/**
 * timers/promises' `setTimeout` and `scheduler.wait` are wrapped (debug mode only, the
 * one patch loopscope makes) so an await on a timer can say "timer 1000 ms": nothing in
 * the hooks or in Node's handle list links a promise to its timer.
 */
interface TimersPromises {
  setTimeout: (delay?: number, value?: unknown, options?: unknown) => Promise<unknown>;
  scheduler: { wait: (delay: number, options?: unknown) => Promise<void> };
}
let restoreTimers: (() => void) | undefined;

function patchTimers(): void {
  let timers: TimersPromises;
  try {
    timers = createRequire(import.meta.url)("node:timers/promises") as TimersPromises;
  } catch (error) {
    recordSkip({ target: "timers/promises", reason: String(error), effect: TIMER_EFFECT });
    return;
  }
  const originalSetTimeout = timers.setTimeout;
  const originalWait = timers.scheduler.wait;
  const replaced = [
    replaceProperty(
      timers,
      "setTimeout",
      function setTimeout(delay?: number, value?: unknown, options?: unknown) {
        const promise = originalSetTimeout(delay, value, options);
        setTimerMs(promise, Number(delay ?? 1));
        return promise;
      },
      "timers/promises.setTimeout",
    ),
    replaceProperty(
      timers.scheduler,
      "wait",
      function wait(delay: number, options?: unknown) {
        const promise = originalWait.call(timers.scheduler, delay, options);
        setTimerMs(promise, Number(delay));
        return promise;
      },
      "timers/promises.scheduler.wait",
    ),
  ];
  syncEsmExports();
  restoreTimers = () => {
    for (const patch of replaced) patch?.restore();
    syncEsmExports();
  };
}

/** Without it, a timer await read through an ESM named import says "promise created at ...". */
const TIMER_EFFECT = 'timer awaits read "promise created at ..."';

function syncEsmExports(): void {
  try {
    syncBuiltinESMExports();
  } catch {
    // ESM named imports keep the unwrapped function: a plainer await line, nothing broken.
  }
}

/**
 * Turn debug tracking on or off (the preload turns it on for `LOOPSCOPE_DEBUG=1`).
 * On: every pending async function call's await line is known to the dump, and
 * `currentTask()` is known across awaits. Off: hooks removed, records dropped.
 */
export function setDebugTracking(on: boolean): void {
  if (typeof on !== "boolean") {
    throw new TypeError(`setDebugTracking: "on" must be a boolean, received ${typeof on}`);
  }
  if (on === context.debug) return;
  context.debug = on;
  // Busy time counts from now for a task already running (setDebug called inside one).
  context.runningSinceMs = performance.now();
  if (on) {
    try {
      stopHooks = promiseHooks.createHook({
        init: onInit,
        before: onBefore,
        after: onAfter,
      }) as () => void;
    } catch (error) {
      recordSkip({
        target: "v8.promiseHooks",
        reason: String(error),
        effect: "no await lines or task context across awaits",
      });
    }
    patchTimers();
  } else {
    stopHooks?.();
    stopHooks = undefined;
    restoreTimers?.();
    restoreTimers = undefined;
    pendingAwaits.clear();
    savedContexts.length = 0;
  }
}

/** Whether debug tracking is on. */
export function isDebugTracking(): boolean {
  return context.debug;
}

/** Forget the pending awaits of a task that can never resume (they never will). */
export function forgetAwaitsOf(task: TaskImpl): void {
  for (const [promise, record] of pendingAwaits) {
    if (record.task === task) pendingAwaits.delete(promise);
  }
}
