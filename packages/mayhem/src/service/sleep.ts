/**
 * How the service waits. Every wait in the service goes through one of these,
 * so the benchmark can turn every sleep into a single yield to the event loop.
 */
export interface Sleeper {
  /**
   * Resolves after `ms` (or, for the yielding sleeper, after one macrotask
   * turn). Rejects with `signal.reason` when `signal` aborts first; the timer
   * is cleared then, so nothing is left behind.
   */
  sleep(ms: number, signal?: CancelSignal): Promise<void>;
  /**
   * Like {@link Sleeper.sleep}, but an abort wakes it instead of rejecting it:
   * it resolves after `ms` (one macrotask turn for the yielding sleeper), or
   * early when `signal` aborts, and the caller reads `signal.aborted`
   * afterwards. For the hot path: the yielding sleeper hands every caller of a
   * turn the same promise, where `sleep` must make one per caller to reject it
   * on its own.
   */
  sleepOrWake(ms: number, signal?: CancelSignal): Promise<void>;
}

/**
 * The part of `AbortSignal` a sleep needs. An `AbortSignal` is one; so is a
 * {@link Latch}, which costs a fraction of an `AbortController` (no
 * EventTarget, no Event per abort) where one is needed per message.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/**
 * A one-shot cancel signal with at most one listener at a time (one sleep
 * waits on it at a time). Used to stop a message's extend loop when its work
 * is done: that is the normal path of every message, so it must be cheap.
 */
export class Latch implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  #listener: (() => void) | undefined;

  addEventListener(_type: "abort", listener: () => void): void {
    this.#listener = listener;
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    if (this.#listener === listener) this.#listener = undefined;
  }

  /** Trips the latch and calls the listener, once. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.();
  }
}

// Whatever the signal was aborted with is passed on as is (AbortSignal's own contract).
function reasonOf(signal: CancelSignal): Error {
  return signal.reason as Error;
}

/** Throws `signal.reason` when `signal` has aborted (`AbortSignal#throwIfAborted` for any {@link CancelSignal}). */
export function throwIfAborted(signal: CancelSignal): void {
  if (signal.aborted) throw reasonOf(signal);
}

const RESOLVED: Promise<void> = Promise.resolve();

function timerSleepOrWake(ms: number, signal?: CancelSignal): Promise<void> {
  if (signal === undefined) {
    return new Promise((resolve) => {
      setTimeout(resolve, ms);
    });
  }
  if (signal.aborted) return RESOLVED;
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

// Off the hot path (pull backoff, tests): one `then` over the waking sleep.
function timerSleep(ms: number, signal?: CancelSignal): Promise<void> {
  if (signal === undefined) return timerSleepOrWake(ms);
  if (signal.aborted) return Promise.reject(reasonOf(signal));
  return timerSleepOrWake(ms, signal).then(() => throwIfAborted(signal));
}

/** Real time: `setTimeout`, abortable. */
export const timerSleeper: Sleeper = { sleep: timerSleep, sleepOrWake: timerSleepOrWake };

let turn: Promise<void> | undefined;
let endTurn: (() => void) | undefined;

function flushTurn(): void {
  const resolve = endTurn!;
  // Reset first: whoever yields while the continuations run waits for the next turn.
  turn = undefined;
  endTurn = undefined;
  resolve();
}

/**
 * A promise that resolves on the next macrotask turn (the check phase, like
 * `setImmediate`), so every other ready callback runs first, as
 * `asyncio.sleep(0)` lets them. Every caller in the same turn shares one
 * promise and one `setImmediate`: at hundreds of thousands of yields a
 * second, one immediate per yield would dominate the profile.
 */
export function nextTurn(): Promise<void> {
  if (turn === undefined) {
    turn = new Promise<void>((resolve) => {
      endTurn = resolve;
    });
    setImmediate(flushTurn);
  }
  return turn;
}

function yieldSleep(_ms: number, signal?: CancelSignal): Promise<void> {
  if (signal === undefined) return nextTurn();
  if (signal.aborted) return Promise.reject(reasonOf(signal));
  return nextTurn().then(() => {
    if (signal.aborted) throw reasonOf(signal);
  });
}

// An abort is read by the caller after the turn; already aborted, there is nothing to wait for.
function yieldSleepOrWake(_ms: number, signal?: CancelSignal): Promise<void> {
  return signal?.aborted === true ? RESOLVED : nextTurn();
}

/** Benchmark mode: every sleep, whatever its length, is a single yield to the loop. */
export const yieldSleeper: Sleeper = { sleep: yieldSleep, sleepOrWake: yieldSleepOrWake };
