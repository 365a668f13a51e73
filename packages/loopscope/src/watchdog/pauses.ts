import { PAUSE_SLOTS, Pauses, createPauseArray } from "./thread-protocol.js";

/**
 * A time the whole process was not running, as the watchdog thread saw it: its own wake,
 * due at `startedAt`, came only at `endedAt` (stopped by SIGSTOP, throttled by its cgroup,
 * or the host took the CPU), while the main thread did not run either. Times are
 * `process.hrtime.bigint()`, the heartbeat's clock.
 */
export interface HostPause {
  /** When the watchdog thread's wake was due: the process was paused by then (it may have been earlier). */
  readonly startedAt: bigint;
  /** When the watchdog thread woke: the process ran again. */
  readonly endedAt: bigint;
  /** `endedAt - startedAt`, in milliseconds: a lower bound of the pause. */
  readonly durationMs: number;
  /**
   * Whether a {@link PauseLog.pausedMsBetween} answer already included it: a stall's
   * evidence counted it. `false`: no stall was reported around it (the loop was idle, or
   * held for less than the threshold), and it is the pause's own to report.
   */
  readonly counted: boolean;
}

/**
 * The main thread's view of the host pauses the watchdog thread records (layout:
 * `Pauses` in thread-protocol.ts): the last 16 of them, in shared memory, so a stall's
 * classification reads them at once, whether or not the thread's message about them has
 * arrived yet.
 *
 * When a new pause is told ({@link onPause}): the watchdog thread writes the record as soon
 * as it runs after the pause, then sends `paused`. The heartbeat (`Heartbeat.watchedBy`)
 * handles that message on the loop, where nothing holds the loop any more: it beats at
 * once, so a stall that contained the pause is measured and its stall callback called
 * (if the loop was held past the threshold) before anything else; then it calls
 * {@link recorded}, which queues a `setImmediate`. The listener runs in that immediate:
 * after the stall callback, and after any `setImmediate` the stall callback queued (the
 * watchdog's `afterStallEvidence`), whichever of the heartbeat's interval beat and the
 * message came first. A stall classified there that called {@link pausedMsBetween} over
 * the pause has marked it `counted`.
 *
 * @example
 * ```ts
 * const pauses = new PauseLog();
 * pauses.onPause((pause) => {
 *   if (!pause.counted) reportHostPaused(pause.durationMs); // an idle process's pause
 * });
 * // in a stall's classification:
 * const pausedMs = pauses.pausedMsBetween(stallStartNs, stallEndNs);
 * ```
 */
export class PauseLog {
  /** The ring the watchdog thread writes (its `workerData.pauses`). */
  readonly shared = createPauseArray();
  /** Pauses handed to the listener so far (their numbers are below this). */
  #told = 0;
  /** Numbers of pauses a {@link pausedMsBetween} answer included. */
  readonly #counted = new Set<number>();
  #listener: ((pause: HostPause) => void) | undefined;
  #scheduled = false;

  /** Pauses recorded since the watchdog thread started (the ring keeps the last 16). */
  get count(): number {
    return Number(Atomics.load(this.shared, Pauses.COUNT));
  }

  /**
   * Milliseconds between `startNs` and `endNs` (`process.hrtime.bigint()`) during which
   * the process was paused, as far as the recorded pauses say (the last 16). The pauses it
   * includes are marked `counted`.
   */
  pausedMsBetween(startNs: bigint, endNs: bigint): number {
    let pausedNs = 0n;
    for (const [number, pause] of this.#recent()) {
      const from = pause.startedAt > startNs ? pause.startedAt : startNs;
      const to = pause.endedAt < endNs ? pause.endedAt : endNs;
      if (to <= from) continue;
      pausedNs += to - from;
      this.#counted.add(number);
    }
    return Number(pausedNs) / 1e6;
  }

  /** The recorded pauses still in the ring, oldest first. */
  recent(): HostPause[] {
    return [...this.#recent()].map(([number, pause]) => this.#withCounted(number, pause));
  }

  /**
   * Be told of each new pause, once, after the stall it may have been in was reported (see
   * the class's comment for when). One listener; `undefined` removes it. The listener must
   * not throw (what it throws is dropped).
   */
  onPause(listener: ((pause: HostPause) => void) | undefined): void {
    this.#listener = listener;
  }

  /**
   * The watchdog thread said it recorded a pause, and the heartbeat measured the loop up to
   * now: tell the listener of every pause not told yet, in a `setImmediate`.
   */
  recorded(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#tell();
    });
  }

  #tell(): void {
    const recent = this.#recent();
    const count = this.count;
    for (const [number, pause] of recent) {
      if (number < this.#told) continue;
      try {
        this.#listener?.(this.#withCounted(number, pause));
      } catch {
        // Never throw into the application's loop.
      }
    }
    this.#told = Math.max(this.#told, count);
    for (const number of this.#counted) {
      if (number < count - PAUSE_SLOTS) this.#counted.delete(number);
    }
  }

  #withCounted(number: number, pause: Omit<HostPause, "counted">): HostPause {
    return { ...pause, counted: this.#counted.has(number) };
  }

  /** The pauses in the ring, by number, read consistently (an entry overwritten meanwhile is left out). */
  #recent(): Array<[number, Omit<HostPause, "counted">]> {
    const count = this.count;
    const entries: Array<[number, Omit<HostPause, "counted">]> = [];
    for (let number = Math.max(0, count - PAUSE_SLOTS); number < count; number++) {
      const slot = Pauses.RING + 2 * (number % PAUSE_SLOTS);
      const startedAt = Atomics.load(this.shared, slot);
      const endedAt = Atomics.load(this.shared, slot + 1);
      entries.push([number, { startedAt, endedAt, durationMs: Number(endedAt - startedAt) / 1e6 }]);
    }
    // The thread may have written over the oldest entries while they were read.
    const overwritten = this.count - PAUSE_SLOTS;
    return entries.filter(([number]) => number >= overwritten);
  }
}
