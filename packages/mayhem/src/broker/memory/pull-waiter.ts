import type { Clock, TimerHandle } from "../clock.js";
import type { MemoryMessage } from "./delivery.js";

/**
 * A `pull()` that found nothing to deliver and waits, first-in first-out, for
 * messages or for an outstanding slot. It finishes exactly once: served, aborted,
 * expired or closed; finishing takes it out of `waiters` (the set its owner
 * adds it to) and removes its timer and abort listener.
 */
export class PullWaiter {
  #timer: TimerHandle | undefined;
  #done = false;

  constructor(
    readonly max: number,
    private readonly waiters: Set<PullWaiter>,
    private readonly clock: Clock,
    private readonly resolve: (batch: MemoryMessage[]) => void,
    private readonly signal: AbortSignal | undefined,
    expiresMs: number | undefined,
  ) {
    if (expiresMs !== undefined) this.#timer = clock.setTimeout(() => this.finish([]), expiresMs);
    // The waiter itself is the listener (handleEvent): no closure to keep for removal.
    signal?.addEventListener("abort", this, { once: true });
  }

  /** Abort listener. */
  handleEvent(): void {
    this.finish([]);
  }

  finish(batch: MemoryMessage[]): void {
    if (this.#done) return;
    this.#done = true;
    this.waiters.delete(this);
    if (this.#timer !== undefined) {
      this.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.signal?.removeEventListener("abort", this);
    this.resolve(batch);
  }
}
