import FakeTimers from "@sinonjs/fake-timers";
import { setImmediate as realSetImmediate } from "node:timers/promises";
import type { Clock } from "../../src/broker/index.js";

/** A broker {@link Clock} driven by @sinonjs/fake-timers: time moves only on `tick`. */
export interface FakeClock extends Clock {
  /** Advances time by `ms`, firing due timers in order (synchronously). */
  tick(ms: number): void;
  /** Timers armed and not yet fired or cleared. */
  pendingTimers(): number;
}

export function createFakeClock(start = 1_000_000): FakeClock {
  const fake = FakeTimers.createClock(start);
  return {
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (handle) => fake.clearTimeout(handle as FakeTimers.TimerId),
    tick: (ms) => void fake.tick(ms),
    pendingTimers: () => fake.countTimers(),
  };
}

/** Lets pending microtasks run (the broker serves waiting pulls in a microtask). */
export async function flush(): Promise<void> {
  await realSetImmediate();
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (data: Uint8Array): string => new TextDecoder().decode(data);
