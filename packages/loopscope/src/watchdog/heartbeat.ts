import { performance } from "node:perf_hooks";
import { Beat, createBeatArray } from "./thread-protocol.js";

/** A stall the heartbeat saw end: the loop did not run its timers for `durationMs`. */
export interface Stall {
  /** The beat sequence while the loop was stalled (what the watchdog's capture carries). */
  readonly seq: bigint;
  readonly durationMs: number;
  /** `process.hrtime.bigint()` of the beat that saw the loop turn again: when the stall ended. */
  readonly endedAt: bigint;
}

/**
 * The main thread's side of the watchdog: an unref'd interval that writes a beat (a
 * sequence and a time) into shared memory. The watchdog thread reads it without the main
 * thread's help; the main thread itself notices a stall when the next beat comes late.
 *
 * A beat every `intervalMs` is all it costs a healthy loop, and each one is a wakeup of an
 * idle process: the interval is a quarter of the threshold, not finer. The stall is not
 * the gap between two beats (that would be off by up to an interval) but the gap less the
 * time the loop spent idle in it, waiting for I/O or the next timer (libuv's idle time, as
 * `performance.eventLoopUtilization()` reads it): the time the loop was held.
 */
export class Heartbeat {
  /** What the watchdog thread reads (layout: {@link Beat}). */
  readonly shared = createBeatArray();
  readonly #slowNs: bigint;
  readonly #onStall: (stall: Stall) => void;
  readonly #slowMs: number;
  #seq = 0n;
  #last: bigint;
  /** The loop's idle milliseconds so far, at the last beat. */
  #idleAtLast: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(slowMs: number, intervalMs: number, onStall: (stall: Stall) => void) {
    this.#slowNs = BigInt(slowMs) * 1_000_000n;
    this.#slowMs = slowMs;
    this.#onStall = onStall;
    this.#last = process.hrtime.bigint();
    this.#idleAtLast = loopIdleMs();
    this.#publish();
    this.#timer = setInterval(() => this.#beat(), intervalMs);
    this.#timer.unref();
  }

  /** The current beat sequence: a stall is identified by the sequence it froze at. */
  get seq(): bigint {
    return this.#seq;
  }

  /** During a stall, how long the loop has been held so far: since the last beat, less its idle time. */
  heldSoFarMs(): number {
    const sinceBeatMs = Number(process.hrtime.bigint() - this.#last) / 1e6;
    return Math.max(0, sinceBeatMs - (loopIdleMs() - this.#idleAtLast));
  }

  /** Stop beating. */
  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #beat(): void {
    const now = process.hrtime.bigint();
    const gapNs = now - this.#last;
    const stalledSeq = this.#seq;
    this.#last = now;
    this.#seq++;
    this.#publish();
    // Read at every beat: it is the baseline of the next gap.
    const idleMs = loopIdleMs();
    const idleInGapMs = idleMs - this.#idleAtLast;
    this.#idleAtLast = idleMs;
    if (gapNs < this.#slowNs) return;
    const heldMs = Number(gapNs) / 1e6 - idleInGapMs;
    if (heldMs >= this.#slowMs) {
      this.#onStall({ seq: stalledSeq, durationMs: heldMs, endedAt: now });
    }
  }

  #publish(): void {
    // Time first: a reader that sees the new sequence also sees a fresh time.
    Atomics.store(this.shared, Beat.TIME, this.#last);
    Atomics.store(this.shared, Beat.SEQ, this.#seq);
  }
}

/**
 * Milliseconds the loop has spent idle (waiting in the poll phase) since it started; 0
 * before it starts, when start-up code is running.
 */
function loopIdleMs(): number {
  return performance.eventLoopUtilization().idle;
}
