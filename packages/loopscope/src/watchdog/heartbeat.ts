/** Index of the beat sequence in the shared array. */
export const SEQ_INDEX = 0;
/** Index of the last beat's `process.hrtime.bigint()`. */
export const TIME_INDEX = 1;

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
 * A beat every `intervalMs` is all it costs a healthy loop. The gap between two beats is
 * how long the loop did not turn, to within one interval: that is the resolution of
 * `durationMs`.
 */
export class Heartbeat {
  readonly shared = new BigInt64Array(new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT));
  readonly #slowNs: bigint;
  readonly #onStall: (stall: Stall) => void;
  #seq = 0n;
  #last: bigint;
  #timer: NodeJS.Timeout | undefined;

  constructor(slowMs: number, intervalMs: number, onStall: (stall: Stall) => void) {
    this.#slowNs = BigInt(slowMs) * 1_000_000n;
    this.#onStall = onStall;
    this.#last = process.hrtime.bigint();
    this.#publish();
    this.#timer = setInterval(() => this.#beat(), intervalMs);
    this.#timer.unref();
  }

  /** The current beat sequence: a stall is identified by the sequence it froze at. */
  get seq(): bigint {
    return this.#seq;
  }

  /** Milliseconds since the last beat: during a stall, how long the loop has been blocked so far. */
  sinceLastBeatMs(): number {
    return Number(process.hrtime.bigint() - this.#last) / 1e6;
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
    if (gapNs >= this.#slowNs) {
      this.#onStall({ seq: stalledSeq, durationMs: Number(gapNs) / 1e6, endedAt: now });
    }
  }

  #publish(): void {
    // Time first: a reader that sees the new sequence also sees a fresh time.
    Atomics.store(this.shared, TIME_INDEX, this.#last);
    Atomics.store(this.shared, SEQ_INDEX, this.#seq);
  }
}
