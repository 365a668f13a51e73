import type { Clock, TimerHandle } from "./clock.js";
import type { BrokerMessage } from "./types.js";

/**
 * A `pull()` that found nothing to deliver and waits, first-in first-out, for
 * messages (or, on the memory broker, an in-flight slot). Both brokers use it.
 * It finishes exactly once: served, aborted, expired or closed; finishing takes it
 * out of `waiters` (the set its owner adds it to) and removes its timer and abort
 * listener.
 */
export class PullWaiter<M extends BrokerMessage = BrokerMessage> {
  #timer: TimerHandle | undefined;
  #done = false;

  constructor(
    readonly max: number,
    private readonly waiters: Set<PullWaiter<M>>,
    private readonly clock: Clock,
    private readonly resolve: (batch: M[]) => void,
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

  finish(batch: M[]): void {
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
