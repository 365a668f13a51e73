import { inspect } from "node:util";
import type { PullOptions } from "./types.js";

/** Formats a received value for an error message, short and unambiguous (strings quoted). */
export function describe(value: unknown): string {
  return inspect(value, { depth: 0, breakLength: Infinity });
}

/**
 * Checks the options of one `pull()` call, the same way on every broker: a
 * TypeError naming the option and the value, or `undefined` if they are fine.
 */
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

/**
 * Refuses an option under a name it no longer has. Without this, a caller still
 * passing e.g. `ackWaitMs` would silently run on the default instead.
 *
 * @param owner the options type, for the message: `NatsBrokerOptions`.
 * @param retired old name → the name it has now.
 */
export function rejectRetiredOptions(
  owner: string,
  options: object,
  retired: Readonly<Record<string, string>>,
): void {
  for (const [old, current] of Object.entries(retired)) {
    if (Object.hasOwn(options, old)) {
      throw new TypeError(`${owner}.${old} is now called ${current}; rename the option`);
    }
  }
}
