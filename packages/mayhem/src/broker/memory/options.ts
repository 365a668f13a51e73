import { systemClock, type Clock } from "../clock.js";
import { describe, rejectRetiredOptions } from "../option-checks.js";

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
   * Most messages in flight: leased and not yet settled, across all pullers
   * (the memory broker buffers nothing, so nothing else counts). Pulls wait
   * while it is reached. Default 10 000.
   */
  readonly maxInFlight?: number;
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
  readonly maxInFlight: number;
  readonly maxDeadLetters: number;
  readonly clock: Clock;
}

export const memoryBrokerDefaults = Object.freeze({
  ackDeadlineMs: 10_000,
  maxDeliveries: 5,
  maxInFlight: 10_000,
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
  rejectRetiredOptions("MemoryBrokerOptions", options, { maxOutstanding: "maxInFlight" });
  const {
    ackDeadlineMs = memoryBrokerDefaults.ackDeadlineMs,
    maxDeliveries = memoryBrokerDefaults.maxDeliveries,
    maxInFlight = memoryBrokerDefaults.maxInFlight,
    maxDeadLetters = memoryBrokerDefaults.maxDeadLetters,
    clock = systemClock,
  } = options;
  if (typeof ackDeadlineMs !== "number" || !Number.isFinite(ackDeadlineMs) || ackDeadlineMs <= 0) {
    throw optionError("ackDeadlineMs", "a positive finite number of milliseconds", ackDeadlineMs);
  }
  requireInteger("maxDeliveries", maxDeliveries, 1);
  requireInteger("maxInFlight", maxInFlight, 1);
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
  return { ackDeadlineMs, maxDeliveries, maxInFlight, maxDeadLetters, clock };
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
