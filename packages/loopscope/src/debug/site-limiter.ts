/**
 * Rate limiting per call site: the first call from a site is reported at once, later
 * ones are counted and reported together at most once per window. The number of sites
 * remembered is bounded; the oldest is forgotten first, and counted.
 */
export interface SiteLimiterOptions {
  /** Sites remembered at most. */
  readonly maxSites: number;
  /** Milliseconds between two reports from the same site. */
  readonly windowMs: number;
  /** Monotonic clock in milliseconds (injectable for tests). */
  readonly now?: () => number;
}

interface SiteState {
  lastReportAt: number;
  /** Calls since the last report that were not reported. */
  suppressed: number;
}

export class SiteLimiter {
  readonly #sites = new Map<string, SiteState>();
  readonly #maxSites: number;
  #windowMs: number;
  readonly #now: () => number;
  #forgotten = 0;

  constructor(options: SiteLimiterOptions) {
    if (!Number.isInteger(options.maxSites) || options.maxSites < 1) {
      throw new TypeError(
        `SiteLimiter: maxSites must be a positive integer, got ${String(options.maxSites)}`,
      );
    }
    checkWindow(options.windowMs);
    this.#maxSites = options.maxSites;
    this.#windowMs = options.windowMs;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Milliseconds between two reports from the same site. */
  get windowMs(): number {
    return this.#windowMs;
  }

  /**
   * A new window, for every site from the next call on (sites already seen keep their
   * last report time and their count of suppressed calls).
   *
   * @throws TypeError when it is not a non-negative number.
   */
  set windowMs(windowMs: number) {
    checkWindow(windowMs);
    this.#windowMs = windowMs;
  }

  /**
   * Record one call from `site`. Returns the number of calls to report now (this one
   * and those suppressed since the last report), or `undefined` to stay silent.
   */
  hit(site: string): number | undefined {
    const now = this.#now();
    const state = this.#sites.get(site);
    if (state === undefined) {
      if (this.#sites.size >= this.#maxSites) this.#forgetOldest();
      this.#sites.set(site, { lastReportAt: now, suppressed: 0 });
      return 1;
    }
    if (now - state.lastReportAt >= this.#windowMs) {
      const count = state.suppressed + 1;
      state.lastReportAt = now;
      state.suppressed = 0;
      return count;
    }
    state.suppressed++;
    return undefined;
  }

  /** Sites remembered now. */
  get size(): number {
    return this.#sites.size;
  }

  /** Sites forgotten to stay within `maxSites`. */
  get forgotten(): number {
    return this.#forgotten;
  }

  clear(): void {
    this.#sites.clear();
  }

  #forgetOldest(): void {
    // Maps iterate in insertion order: the first key is the oldest site.
    for (const key of this.#sites.keys()) {
      this.#sites.delete(key);
      this.#forgotten++;
      return;
    }
  }
}

function checkWindow(windowMs: number): void {
  if (!Number.isFinite(windowMs) || windowMs < 0) {
    throw new TypeError(
      `SiteLimiter: windowMs must be a non-negative number, got ${String(windowMs)}`,
    );
  }
}
