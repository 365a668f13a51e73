/**
 * A token bucket that decides whether to capture a stack now. Capturing costs a
 * couple of microseconds, so under load only a fraction is captured: freely up
 * to `ratePerSecond` (with bursts up to `burst`), then one in `oneIn`.
 * Callers pass the current time (they read the clock anyway), so a decision is
 * a few arithmetic operations and no allocation.
 */
export class StackSampler {
  /** Decisions that said "do not capture". */
  skipped = 0;
  private tokens: number;
  private lastMs = 0;
  private counter = 0;
  private readonly perMs: number;

  constructor(
    ratePerSecond: number,
    private readonly burst: number,
    /** Under load, capture one in this many (a power of two keeps it a mask). */
    readonly oneIn: number,
  ) {
    this.perMs = ratePerSecond / 1000;
    this.tokens = burst;
  }

  /** Whether to capture now; `nowMs` is `performance.now()`. */
  take(nowMs: number): boolean {
    if (this.tokens < 1) {
      const refill = (nowMs - this.lastMs) * this.perMs;
      this.lastMs = nowMs;
      this.tokens = Math.min(this.burst, this.tokens + refill);
      if (this.tokens < 1) {
        if (++this.counter % this.oneIn === 0) return true;
        this.skipped++;
        return false;
      }
    }
    this.tokens--;
    return true;
  }
}
