/**
 * A token bucket that decides whether to capture a stack now. Capturing costs a
 * couple of microseconds, so under load only a fraction is captured: freely up
 * to `ratePerSecond` (with bursts up to `burst`), then one in `oneIn`.
 *
 * The clock is read only when the bucket is empty, and under load (the bucket found
 * empty again at once) only every `oneIn` decisions, at most every 16: debug mode asks
 * once per promise, and a clock read per promise would cost more than the captures
 * saved. A decision is then a few arithmetic operations and no allocation. The bound
 * matters once a burst is over: with 1 in 4,096 (production's creation frames) the next
 * 4,096 decisions would be sampled blind however much later they came, and a quiet
 * program would lose the creation lines of its next tasks to a burst long past.
 */
/** Decisions made without reading the clock once the bucket was found empty. */
const MAX_BLIND_DECISIONS = 16;

export class StackSampler {
  /** Decisions that said "do not capture". */
  skipped = 0;
  private tokens: number;
  private lastMs = 0;
  private counter = 0;
  /** Decisions left before the clock is read again, after a refill found too little. */
  private starved = 0;
  private readonly perMs: number;

  constructor(
    ratePerSecond: number,
    private readonly burst: number,
    /** Under load, capture one in this many. */
    readonly oneIn: number,
  ) {
    this.perMs = ratePerSecond / 1000;
    this.tokens = burst;
  }

  /**
   * Whether to capture now.
   *
   * @param nowMs - `performance.now()`, if the caller has read it anyway; otherwise
   *   the sampler reads it when it must.
   */
  take(nowMs?: number): boolean {
    if (this.tokens >= 1) {
      this.tokens--;
      return true;
    }
    if (this.starved > 0) {
      this.starved--;
      return this.oneOfMany();
    }
    const now = nowMs ?? performance.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.lastMs) * this.perMs);
    this.lastMs = now;
    if (this.tokens >= 1) {
      this.tokens--;
      return true;
    }
    this.starved = Math.min(this.oneIn, MAX_BLIND_DECISIONS);
    return this.oneOfMany();
  }

  private oneOfMany(): boolean {
    if (++this.counter % this.oneIn === 0) return true;
    this.skipped++;
    return false;
  }
}
