import { performance } from "node:perf_hooks";

/**
 * Milliseconds the loop has spent idle (waiting in the poll phase) since it started; 0
 * before it starts, when start-up code is running. It moves only when the loop waits for
 * I/O, so an unchanged reading means the loop has not waited since the last one.
 */
export function loopIdleMs(): number {
  return performance.eventLoopUtilization().idle;
}
