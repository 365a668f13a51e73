import { performance } from "node:perf_hooks";
import { gcPausesBetween } from "../recorder/index.js";

/**
 * `performance.now()` milliseconds of a `process.hrtime.bigint()` reading: GC entries are
 * timed on the performance clock, stalls and pauses on hrtime.
 */
export function perfMsOfHrtime(at: bigint): number {
  return performance.now() - Number(process.hrtime.bigint() - at) / 1e6;
}

/**
 * Garbage-collection milliseconds between two hrtime readings, or `undefined` when GC
 * pauses were not tracked for all of it (then the report makes no claim either way).
 */
export function gcMsBetween(startedAt: bigint, endedAt: bigint): number | undefined {
  const pauses = gcPausesBetween(perfMsOfHrtime(startedAt), perfMsOfHrtime(endedAt));
  return pauses.complete || pauses.count > 0 ? pauses.ms : undefined;
}

/**
 * Run `classify` once the evidence of a stall that just ended is in: Node hands GC entries
 * to observers in a `setImmediate` queued after the collection, so a second `setImmediate`
 * queued from the first one sees them (`recorder/gc.ts` says how that was measured); the
 * watchdog thread's pause records are in shared memory already.
 */
export function afterStallEvidence(classify: () => void): void {
  // The exit handler classifies whatever is still waiting: these never hold the process up.
  setImmediate(() => setImmediate(classify).unref()).unref();
}
