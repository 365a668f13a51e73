/** Loop stalls the watchdog saw since the process started (read by the metrics). */
export interface LoopBlockedStats {
  /** Stalls of at least the threshold. */
  readonly count: number;
  /** Their summed duration in milliseconds. */
  readonly totalMs: number;
}

const totals = { count: 0, totalMs: 0 };

/** Cumulative counters: the metrics take differences per interval. */
export function loopBlockedStats(): LoopBlockedStats {
  return { ...totals };
}

export function recordBlocked(durationMs: number): void {
  totals.count++;
  totals.totalMs += durationMs;
}
