/** The middle value (the mean of the two middle ones for an even count): robust to an outlier run. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/** Both benches take a message count and a number of runs: whole numbers, at least 1. */
export function checkBenchCounts(messages: number, runs: number): void {
  if (!Number.isInteger(messages) || messages < 1) {
    throw new TypeError(`messages must be an integer >= 1, got ${String(messages)}`);
  }
  if (!Number.isInteger(runs) || runs < 1) {
    throw new TypeError(`runs must be an integer >= 1, got ${String(runs)}`);
  }
}
