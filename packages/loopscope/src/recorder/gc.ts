/**
 * Garbage-collection pauses of the main thread: the last {@link GC_KEPT} kept (start and
 * duration on the `performance.now()` clock), for the watchdog to tell how much of a stall
 * the collector took, and handed to the flight recorder as they come in.
 *
 * Where they come from: V8's trace events (`gc-trace.ts`) where the inspector can trace
 * them, which costs the main thread nothing per collection and is read on demand; else a
 * `perf_hooks` PerformanceObserver of `gc` entries, which Node hands over one by one in
 * JavaScript on the main thread. {@link gcTrackingSource} says which.
 *
 * When a traced pause is seen: whenever someone asks ({@link gcPausesBetween},
 * {@link collectGcPauses}), everything up to that moment; unasked, every
 * {@link COLLECT_EVERY_MS} or so, so the trace buffer stays small. Who reads unasked: the
 * watchdog's heartbeat when one runs ({@link driveGcCollection}), which beats only while
 * the loop works, so an idle process is not woken for it; else a timer of this module's,
 * every 2 s while pauses come and less and less often (down to once a
 * {@link QUIET_COLLECT_MS}) while none do.
 *
 * When an observed pause is seen: V8 reports a collection to Node when it ends, Node makes
 * the entry in a native immediate (the check phase of the loop's next turn at the latest),
 * and the observer's callback runs in a JavaScript `setImmediate` queued from there. So
 * code that ran a collection does not see its entry in that callback, nor in microtasks,
 * `process.nextTick` or the first `setImmediate` it queues (measured: 0 of 20 on Node 20,
 * 22, 24 and 26, the collection run from a timer, an immediate, an I/O callback or a
 * microtask); a `setImmediate` queued from inside that first one sees it (20 of 20 in every
 * case). A `setTimeout(0)` usually does, but not always (18 of 20 on Node 20 when the
 * collection ran in an immediate). Whoever sums the pauses of a stall that just ended
 * waits for that second `setImmediate` (traced pauses are there at once).
 */
import type { PerformanceEntry } from "node:perf_hooks";
import { PerformanceObserver, constants } from "node:perf_hooks";
import type { GcTrace } from "./gc-trace.js";
import { startGcTrace } from "./gc-trace.js";

/** GC entries kept: enough for the pauses of a long stall of an allocating loop. */
export const GC_KEPT = 1_024;

/** How often traced pauses are read when nobody asks (ms): each read is about 0.1 ms. */
export const COLLECT_EVERY_MS = 2_000;
/** The longest wait between unasked reads, reached by doubling while no pause comes (ms). */
export const QUIET_COLLECT_MS = 60_000;

/** Where GC pauses come from: `trace-events` (V8's, read on demand) or `perf-observer`. */
export type GcTrackingSource = "trace-events" | "perf-observer";

/** What {@link gcPausesBetween} found. */
export interface GcPauses {
  /** Milliseconds of GC inside the interval (each pause clipped to it). */
  readonly ms: number;
  /** Pauses that overlap the interval. */
  readonly count: number;
  /**
   * `false` when pauses may be missing: the entries kept no longer reach back to the
   * interval's start (more than {@link GC_KEPT} collections since), or GC pauses were not
   * being tracked for all of it.
   */
  readonly complete: boolean;
}

/** Told of each pause as it arrives (the flight recorder's hook). */
export type GcListener = (startMs: number, durationMs: number, kind: string) => void;

const starts = new Float64Array(GC_KEPT);
const durations = new Float64Array(GC_KEPT);
let next = 0;
let size = 0;
/** Pauses recorded since tracking began: tells an unasked read that found some. */
let recorded = 0;
/** `performance.now()` of the last read of the trace. */
let collectedAt = -Infinity;
/** Callers that read the trace as they go ({@link driveGcCollection}): no timer then. */
let drivers = 0;
/** `performance.now()` when tracking began: pauses before it were not seen. */
let trackedSince = Infinity;
let observer: PerformanceObserver | undefined;
let trace: GcTrace | undefined;
let collectTimer: NodeJS.Timeout | undefined;
let users = 0;
let listener: GcListener | undefined;

/**
 * Track GC pauses from now on (the recorder does while it runs; the watchdog may too).
 * Calls nest: tracking stops when every caller has called the function returned. Never
 * throws: where the observer cannot be made, nothing is tracked and
 * {@link gcPausesBetween} says `complete: false`.
 */
export function trackGcPauses(): () => void {
  users++;
  if (users === 1) startTracking();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    users--;
    if (users === 0) stopTracking();
  };
}

/**
 * The GC pauses that overlap `[fromPerfMs, toPerfMs]` (`performance.now()` milliseconds),
 * every one of them however short, summed with each clipped to the interval. Entries
 * arrive after the collection (see the module's comment): ask once a `setImmediate` queued
 * from a `setImmediate` after the interval has run.
 */
export function gcPausesBetween(fromPerfMs: number, toPerfMs: number): GcPauses {
  collectGcPauses();
  let ms = 0;
  let count = 0;
  let oldestStart = Infinity;
  for (let i = 1; i <= size; i++) {
    const slot = (next - i + GC_KEPT) % GC_KEPT;
    const start = starts[slot]!;
    const end = start + durations[slot]!;
    oldestStart = start;
    // Newest first (collections do not overlap): once one ends before the interval, so do the rest.
    if (end < fromPerfMs) break;
    if (start > toPerfMs) continue;
    ms += Math.min(end, toPerfMs) - Math.max(start, fromPerfMs);
    count++;
  }
  const reachesBack = size < GC_KEPT || oldestStart <= fromPerfMs;
  return {
    ms,
    count,
    complete: gcTrackingSource() !== undefined && trackedSince <= fromPerfMs && reachesBack,
  };
}

/** Hand each pause to `next` as it arrives (one listener: the recorder's), or stop with `undefined`. */
export function onGcPause(next: GcListener | undefined): void {
  listener = next;
}

/** Where GC pauses come from now, or `undefined` when nobody tracks them (or nothing can). */
export function gcTrackingSource(): GcTrackingSource | undefined {
  if (trace !== undefined) return "trace-events";
  return observer === undefined ? undefined : "perf-observer";
}

/**
 * Take in the pauses traced up to now (synchronously; nothing to do for observed ones,
 * which come on their own). Readers of the recorder call it first. Never throws.
 */
export function collectGcPauses(): void {
  if (trace === undefined) return;
  collectedAt = performance.now();
  let going = false;
  try {
    going = trace.collect();
  } catch {
    // Counted as a trace that cannot go on, below.
  }
  if (!going) {
    // Tracing would not start again: observe from now on (pauses in between are unknown).
    stopTrace();
    startObserving();
    trackedSince = performance.now();
  }
}

/**
 * The caller reads the trace as it goes, calling {@link collectGcPausesIfDue} often (the
 * watchdog's heartbeat, at each beat): this module's own timer stops until every driver has
 * called the function returned.
 */
export function driveGcCollection(): () => void {
  drivers++;
  clearTimeout(collectTimer);
  collectTimer = undefined;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    drivers--;
    if (drivers === 0 && trace !== undefined) collectLater(COLLECT_EVERY_MS);
  };
}

/** Read the trace if the last read is {@link COLLECT_EVERY_MS} old (a clock read otherwise). */
export function collectGcPausesIfDue(): void {
  if (trace !== undefined && performance.now() - collectedAt >= COLLECT_EVERY_MS) {
    collectGcPauses();
  }
}

function startTracking(): void {
  trace = startGcTrace(record);
  if (trace === undefined) {
    startObserving();
    return;
  }
  trackedSince = performance.now();
  collectedAt = trackedSince;
  if (drivers === 0) collectLater(COLLECT_EVERY_MS);
}

/** The unasked read: again in 2 s if it found pauses, else after twice the wait. */
function collectLater(waitMs: number): void {
  collectTimer = setTimeout(() => {
    const before = recorded;
    collectGcPauses();
    if (trace === undefined) return;
    collectLater(recorded > before ? COLLECT_EVERY_MS : Math.min(waitMs * 2, QUIET_COLLECT_MS));
  }, waitMs);
  // Reading the trace must never keep the process alive.
  collectTimer.unref();
}

function stopTracking(): void {
  stopTrace();
  observer?.disconnect();
  observer = undefined;
  trackedSince = Infinity;
  size = 0;
  next = 0;
}

function stopTrace(): void {
  clearTimeout(collectTimer);
  collectTimer = undefined;
  const stopping = trace;
  trace = undefined;
  try {
    stopping?.stop();
  } catch {
    // The session is gone already.
  }
}

function startObserving(): void {
  try {
    const made = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        record(entry.startTime, entry.duration, kindOf(entry));
      }
    });
    made.observe({ entryTypes: ["gc"] });
    observer = made;
    trackedSince = performance.now();
  } catch {
    // No `gc` entries here (an embedder without them): nothing is tracked, and said so.
    observer = undefined;
  }
}

function record(startMs: number, durationMs: number, kind: string): void {
  try {
    starts[next] = startMs;
    durations[next] = durationMs;
    next = (next + 1) % GC_KEPT;
    if (size < GC_KEPT) size++;
    recorded++;
    listener?.(startMs, durationMs, kind);
  } catch {
    // A listener's failure must not reach the observer's caller (the loop).
  }
}

/** `major`, `minor`, `incremental` or `weak` (weak callbacks); `gc` for a kind Node adds later. */
function kindOf(entry: PerformanceEntry): string {
  // `entry.detail.kind` since Node 16; the old `entry.kind` is deprecated (and warns).
  const detail = (entry as { readonly detail?: unknown }).detail;
  const kind = (detail as { readonly kind?: unknown } | null | undefined)?.kind;
  switch (kind) {
    case constants.NODE_PERFORMANCE_GC_MAJOR:
      return "major";
    case constants.NODE_PERFORMANCE_GC_MINOR:
      return "minor";
    case constants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return "incremental";
    case constants.NODE_PERFORMANCE_GC_WEAKCB:
      return "weak";
    default:
      return "gc";
  }
}
