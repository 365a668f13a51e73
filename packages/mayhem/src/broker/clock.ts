/**
 * An opaque handle returned by {@link Clock.setTimeout}; only ever passed back
 * to {@link Clock.clearTimeout}.
 */
export type TimerHandle = object | number;

/**
 * The time source and timer facility of a broker. Injected so that tests can
 * drive ack deadlines and delayed redeliveries with a fake clock, instantly and
 * deterministically.
 *
 * @example
 * ```ts
 * import FakeTimers from "@sinonjs/fake-timers";
 * const fake = FakeTimers.createClock(0);
 * const clock: Clock = {
 *   now: () => fake.now,
 *   setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
 *   clearTimeout: (handle) => fake.clearTimeout(handle as FakeTimers.TimerId),
 * };
 * ```
 */
export interface Clock {
  /** Milliseconds since the epoch (wall time); also stamps dead letters. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. Must not keep the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer armed by {@link Clock.setTimeout}; a no-op if it already fired. */
  clearTimeout(handle: TimerHandle): void;
}

/** Node turns a longer delay into 1 ms (with a warning); a timer armed for longer fires at this bound instead. */
const maxTimerDelayMs = 2 ** 31 - 1;

/**
 * The real clock: `Date.now()` and Node timers, unref'd so that a broker's
 * bookkeeping timers never keep the process alive. Delays beyond Node's limit
 * (about 24.8 days) are capped: the brokers check the time when a timer fires,
 * and re-arm if it fired early.
 */
export const systemClock: Clock = Object.freeze({
  now: (): number => Date.now(),
  setTimeout: (fn: () => void, ms: number): TimerHandle =>
    setTimeout(fn, Math.min(ms, maxTimerDelayMs)).unref(),
  clearTimeout: (handle: TimerHandle): void => {
    clearTimeout(handle as NodeJS.Timeout);
  },
});
