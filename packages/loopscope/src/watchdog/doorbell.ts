/**
 * The main thread's doorbell for the watchdog thread in idle mode. Armed, it is an async
 * hook's `before`: the first callback the loop runs (a timer, I/O, an immediate, a message,
 * a promise reaction) rings it before it runs: it marks `Beat.DOORBELL` rung (and when, in
 * `Beat.RUNG_AT`), wakes the watchdog thread (`Atomics.notify` on `Control.STOP`, the
 * address that thread sleeps on) and disarms itself. So the watchdog thread need not look at an idle main thread's `/proc`
 * state every `idlePollMs` to see a block begin: it looks when rung, and otherwise rarely
 * (for host pauses, and for what runs without a callback: an addon calling into JavaScript
 * from a thread of its own). Each look is a wake of that thread, the whole cost of an idle
 * process.
 *
 * An armed hook costs the loop only the first callback's call (then it is disabled). It
 * rings only once the loop has waited for I/O since it was armed (libuv's idle time moved):
 * the callbacks left in the turn that armed it (the beat that began or kept idle mode) are
 * part of that turn, not new work, and ringing for them would only wake the watchdog
 * thread to see the turn the heartbeat just measured.
 */
import type { AsyncHook } from "node:async_hooks";
import { createHook } from "node:async_hooks";
import { loopIdleMs } from "./loop-idle.js";
import { ARMED, Beat, Control, NO_DOORBELL, RUNG } from "./thread-protocol.js";

export class Doorbell {
  readonly #beat: BigInt64Array;
  readonly #control: Int32Array;
  readonly #hook: AsyncHook;
  #armed = false;
  /** The loop's idle milliseconds when it was armed. */
  #idleAtArm = 0;

  private constructor(beat: BigInt64Array, control: Int32Array) {
    this.#beat = beat;
    this.#control = control;
    this.#hook = createHook({ before: () => this.#ring() });
  }

  /**
   * A doorbell that writes into `beat` ({@link Beat}) and wakes the thread sleeping on
   * `control` ({@link Control}), or `undefined` where async hooks are missing (the
   * watchdog thread then looks every `idlePollMs`).
   */
  static create(beat: BigInt64Array, control: Int32Array): Doorbell | undefined {
    if (typeof createHook !== "function") return undefined;
    try {
      return new Doorbell(beat, control);
    } catch {
      return undefined;
    }
  }

  /** Whether a callback will ring it. */
  get armed(): boolean {
    return this.#armed;
  }

  /** Arm it: the first callback after the loop next waits rings it. */
  arm(): void {
    if (this.#armed) return;
    try {
      this.#idleAtArm = loopIdleMs();
      this.#hook.enable();
      this.#armed = true;
      Atomics.store(this.#beat, Beat.DOORBELL, ARMED);
    } catch {
      // Not armed: the watchdog thread looks as often as it did without a doorbell.
    }
  }

  /** Disarm it (idle mode ended, or the heartbeat stopped). */
  disarm(): void {
    if (this.#armed) {
      this.#armed = false;
      this.#hook.disable();
    }
    Atomics.store(this.#beat, Beat.DOORBELL, NO_DOORBELL);
  }

  #ring(): void {
    // Runs inside Node's callback machinery: whatever happens, nothing may escape it.
    try {
      if (!this.#armed || loopIdleMs() === this.#idleAtArm) return;
      this.#armed = false;
      this.#hook.disable();
      Atomics.store(this.#beat, Beat.RUNG_AT, process.hrtime.bigint());
      Atomics.store(this.#beat, Beat.DOORBELL, RUNG);
      Atomics.notify(this.#control, Control.STOP);
    } catch {
      // Unrung: the watchdog thread's next look finds the main thread active anyway.
    }
  }
}
