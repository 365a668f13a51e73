/**
 * Garbage-collection pauses, from a `perf_hooks` PerformanceObserver of `gc` entries: the
 * last {@link GC_KEPT} kept (start and duration on the `performance.now()` clock), for the
 * watchdog to tell how much of a stall the collector took, and handed to the flight
 * recorder as they come.
 *
 * When the entries arrive: V8 reports a collection to Node when it ends, Node makes the
 * entry in a native immediate (the check phase of the loop's next turn at the latest),
 * and the observer's callback runs in a JavaScript `setImmediate` queued from there. So
 * code that ran a collection does not see its entry in that callback, nor in microtasks,
 * `process.nextTick` or the first `setImmediate` it queues (measured: 0 of 20 on Node 20,
 * 22, 24 and 26, the collection run from a timer, an immediate, an I/O callback or a
 * microtask); a `setImmediate` queued from inside that first one sees it (20 of 20 in every
 * case). A `setTimeout(0)` usually does, but not always (18 of 20 on Node 20 when the
 * collection ran in an immediate). Whoever sums the pauses of a stall that just ended
 * waits for that second `setImmediate`.
 */
import type { PerformanceEntry } from "node:perf_hooks";
import { PerformanceObserver, constants } from "node:perf_hooks";

/** GC entries kept: enough for the pauses of a long stall of an allocating loop. */
export const GC_KEPT = 1_024;

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
/** `performance.now()` when tracking began: pauses before it were not seen. */
let trackedSince = Infinity;
let observer: PerformanceObserver | undefined;
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
  if (observer === undefined) startObserving();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    users--;
    if (users === 0) stopObserving();
  };
}

/**
 * The GC pauses that overlap `[fromPerfMs, toPerfMs]` (`performance.now()` milliseconds),
 * every one of them however short, summed with each clipped to the interval. Entries
 * arrive after the collection (see the module's comment): ask once a `setImmediate` queued
 * from a `setImmediate` after the interval has run.
 */
export function gcPausesBetween(fromPerfMs: number, toPerfMs: number): GcPauses {
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
    complete: observer !== undefined && trackedSince <= fromPerfMs && reachesBack,
  };
}

/** Hand each pause to `next` as it arrives (one listener: the recorder's), or stop with `undefined`. */
export function onGcPause(next: GcListener | undefined): void {
  listener = next;
}

function startObserving(): void {
  try {
    const made = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) record(entry);
    });
    made.observe({ entryTypes: ["gc"] });
    observer = made;
    trackedSince = performance.now();
  } catch {
    // No `gc` entries here (an embedder without them): nothing is tracked, and said so.
    observer = undefined;
  }
}

function stopObserving(): void {
  observer?.disconnect();
  observer = undefined;
  trackedSince = Infinity;
  size = 0;
  next = 0;
}

function record(entry: PerformanceEntry): void {
  try {
    starts[next] = entry.startTime;
    durations[next] = entry.duration;
    next = (next + 1) % GC_KEPT;
    if (size < GC_KEPT) size++;
    listener?.(entry.startTime, entry.duration, kindOf(entry));
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
