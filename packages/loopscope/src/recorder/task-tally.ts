/** Width of a bucket, in milliseconds: the precision of "tasks started in the last second". */
export const BUCKET_MS = 100;
/** Buckets remembered: 12.8 s of a busy program, more than the default window. */
const BUCKETS = 128;

/**
 * Every task start, counted, and which ones the recorder records.
 *
 * Counting: a total, and per tenth of a second the total when its first start came, so
 * the starts of any second of the last few are known exactly, though the ring keeps a few
 * hundredths of a second of them at 100,000 tasks a second.
 *
 * Choosing: every task up to a rate (a token bucket: `perSecond`, bursts of `burst`), then
 * one in `oneIn`; a task is recorded whole (start, cancel, end) or not at all. Recording a
 * task costs about 110 ns on a loaded 2-core machine (two entries, and a clock read at its
 * end): at 180,000 tasks a second (Mayhem) recording every one would take 2 % of the main
 * thread, twice production mode's whole budget.
 *
 * A start costs an increment and a comparison (and, once a tenth of a second, the bucket's
 * bookkeeping and the bucket's refill); the clock is the one `spawn` read anyway.
 */
export class TaskTally {
  /** Tasks not recorded since the start. */
  skipped = 0;
  readonly oneIn: number;
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  #counter = 0;
  #total = 0;
  /** When the current bucket ends: the next start at or past it opens a new one. */
  #nextBucketMs = -Infinity;
  #lastRefillMs: number;
  /** Per bucket opened, newest last, in a ring: its number and the total before its first start. */
  readonly #buckets = new Float64Array(BUCKETS);
  readonly #totals = new Float64Array(BUCKETS);
  #opened = 0;

  /**
   * @param oneIn - under load, one task in this many is recorded; 1 records every task.
   * @param nowMs - `performance.now()` now: the bucket of tokens starts full, refilled from here.
   */
  constructor(perSecond: number, burst: number, oneIn: number, nowMs = performance.now()) {
    this.oneIn = oneIn;
    this.#perMs = perSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#lastRefillMs = nowMs;
  }

  /** Count the start of a task at `perfMs` (`performance.now()`) and say whether to record it. */
  take(perfMs: number): boolean {
    this.#total++;
    if (perfMs >= this.#nextBucketMs) this.#open(perfMs);
    if (this.#tokens >= 1) {
      this.#tokens--;
      return true;
    }
    if (++this.#counter >= this.oneIn) {
      this.#counter = 0;
      return true;
    }
    this.skipped++;
    return false;
  }

  /**
   * Starts from the bucket holding `fromPerfMs` to the one holding `untilPerfMs`, both
   * whole (to a tenth of a second); fewer when they reach back past the buckets remembered.
   */
  between(fromPerfMs: number, untilPerfMs: number): number {
    const from = Math.floor(fromPerfMs / BUCKET_MS);
    const until = Math.floor(untilPerfMs / BUCKET_MS);
    return this.#totalBefore(until + 1) - this.#totalBefore(from);
  }

  /** The total before the first start of bucket `bucket` or later. */
  #totalBefore(bucket: number): number {
    let total = this.#total;
    // Newest first: the oldest bucket opened at or after `bucket` says it.
    const kept = Math.min(this.#opened, BUCKETS);
    for (let i = 1; i <= kept; i++) {
      const slot = (this.#opened - i) % BUCKETS;
      if (this.#buckets[slot]! < bucket) break;
      total = this.#totals[slot]!;
    }
    return total;
  }

  /** The first start of a new tenth of a second: remember the total, refill the tokens. */
  #open(perfMs: number): void {
    const bucket = Math.floor(perfMs / BUCKET_MS);
    const slot = this.#opened % BUCKETS;
    this.#buckets[slot] = bucket;
    // This start is counted already: the total before it.
    this.#totals[slot] = this.#total - 1;
    this.#opened++;
    this.#nextBucketMs = (bucket + 1) * BUCKET_MS;
    const refilled = this.#tokens + (perfMs - this.#lastRefillMs) * this.#perMs;
    this.#tokens = refilled > this.#burst ? this.#burst : refilled;
    this.#lastRefillMs = perfMs;
  }
}
