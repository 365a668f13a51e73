/**
 * Loop metrics for one interval: everything here is measured over the interval that just
 * ended (not since the process started), so a quiet minute is not hidden by a busy hour.
 */
export interface LoopMetricsSample {
  /** Epoch milliseconds at the end of the interval. */
  readonly time: number;
  /** The interval's actual length in milliseconds. */
  readonly intervalMs: number;
  /** Event loop delay percentiles and maximum over the interval, in milliseconds. */
  readonly delayP50Ms: number;
  readonly delayP90Ms: number;
  readonly delayP99Ms: number;
  readonly delayMaxMs: number;
  /** Share of the interval the loop spent running JavaScript and callbacks, 0..1. */
  readonly utilization: number;
  /** Blocks of at least the threshold that ended in the interval (from the watchdog). */
  readonly blockedCount: number;
  /** Their summed duration in milliseconds. */
  readonly blockedMs: number;
  /** Tasks pending at the end of the interval; `undefined` when the tasks registry cannot say. */
  readonly tasksPending: number | undefined;
  /** Diagnostic events dropped in the interval (bounded queues overflowing). */
  readonly eventsDropped: number;
}
