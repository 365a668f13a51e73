import { inspect } from "node:util";
import { systemClock, type Clock } from "../clock.js";
import type { PullOptions } from "../types.js";

/** Options of {@link MemoryBroker}; every one has a default. */
export interface MemoryBrokerOptions {
  /**
   * How long a pulled message stays leased to its holder before it is
   * delivered again, in milliseconds; `extendDeadline()` restarts it. Default 10 000.
   */
  readonly ackDeadlineMs?: number;
  /**
   * How many deliveries a message gets: once it has been delivered this many
   * times, a nack or an expired deadline dead-letters it. Default 5.
   */
  readonly maxDeliveries?: number;
  /**
   * Bound on leased-but-unsettled messages across all pullers, like JetStream's
   * `max_ack_pending`: pulls wait while it is reached. Default 10 000.
   */
  readonly maxOutstanding?: number;
  /**
   * How many dead letters are kept; older ones are dropped and counted in
   * `stats().deadLettersDropped` (`stats().deadLettered` still counts all). Default 10 000.
   */
  readonly maxDeadLetters?: number;
  /** Time source and timers; inject a fake clock in tests. Default {@link systemClock}. */
  readonly clock?: Clock;
}

export interface ResolvedMemoryBrokerOptions {
  readonly ackDeadlineMs: number;
  readonly maxDeliveries: number;
  readonly maxOutstanding: number;
  readonly maxDeadLetters: number;
  readonly clock: Clock;
}

export const memoryBrokerDefaults = Object.freeze({
  ackDeadlineMs: 10_000,
  maxDeliveries: 5,
  maxOutstanding: 10_000,
  maxDeadLetters: 10_000,
});

/** Applies defaults and rejects bad values with a TypeError naming the option and the value. */
export function resolveMemoryBrokerOptions(
  options: MemoryBrokerOptions | undefined,
): ResolvedMemoryBrokerOptions {
  if (options === undefined) options = {};
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`MemoryBroker options must be an object; received ${describe(options)}`);
  }
  const {
    ackDeadlineMs = memoryBrokerDefaults.ackDeadlineMs,
    maxDeliveries = memoryBrokerDefaults.maxDeliveries,
    maxOutstanding = memoryBrokerDefaults.maxOutstanding,
    maxDeadLetters = memoryBrokerDefaults.maxDeadLetters,
    clock = systemClock,
  } = options;
  if (typeof ackDeadlineMs !== "number" || !Number.isFinite(ackDeadlineMs) || ackDeadlineMs <= 0) {
    throw optionError("ackDeadlineMs", "a positive finite number of milliseconds", ackDeadlineMs);
  }
  requireInteger("maxDeliveries", maxDeliveries, 1);
  requireInteger("maxOutstanding", maxOutstanding, 1);
  requireInteger("maxDeadLetters", maxDeadLetters, 0);
  if (
    typeof clock !== "object" ||
    clock === null ||
    typeof clock.now !== "function" ||
    typeof clock.setTimeout !== "function" ||
    typeof clock.clearTimeout !== "function"
  ) {
    throw optionError("clock", "an object with now(), setTimeout() and clearTimeout()", clock);
  }
  return { ackDeadlineMs, maxDeliveries, maxOutstanding, maxDeadLetters, clock };
}

/** Checks the options of one `pull()` call: a TypeError naming the option and the value, or `undefined` if they are fine. */
export function pullOptionsError(options: PullOptions): TypeError | undefined {
  if (typeof options !== "object" || options === null) {
    return new TypeError(`pull() options must be an object; received ${describe(options)}`);
  }
  const { max, expiresMs, signal } = options;
  if (typeof max !== "number" || !Number.isSafeInteger(max) || max < 1) {
    return new TypeError(`PullOptions.max must be a positive integer; received ${describe(max)}`);
  }
  if (
    expiresMs !== undefined &&
    (typeof expiresMs !== "number" || !(expiresMs >= 0) || !Number.isFinite(expiresMs))
  ) {
    return new TypeError(
      `PullOptions.expiresMs must be a non-negative finite number of milliseconds; received ${describe(expiresMs)}`,
    );
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    return new TypeError(`PullOptions.signal must be an AbortSignal; received ${describe(signal)}`);
  }
  return undefined;
}

function requireInteger(name: keyof MemoryBrokerOptions, value: unknown, min: number): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw optionError(name, min === 0 ? "a non-negative integer" : `an integer >= ${min}`, value);
  }
}

function optionError(name: keyof MemoryBrokerOptions, expected: string, value: unknown): TypeError {
  return new TypeError(
    `MemoryBrokerOptions.${name} must be ${expected}; received ${describe(value)}`,
  );
}

/** Formats a received value for an error message, short and unambiguous (strings quoted). */
export function describe(value: unknown): string {
  return inspect(value, { depth: 0, breakLength: Infinity });
}
