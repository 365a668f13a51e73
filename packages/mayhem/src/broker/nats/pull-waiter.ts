import type { BrokerMessage } from "../types.js";

/**
 * A `pull()` that found nothing to deliver and waits, first-in first-out. It
 * finishes exactly once (served, aborted, expired or closed); finishing removes
 * its timer and its abort listener.
 */
export class PullWaiter {
  #timer: NodeJS.Timeout | undefined;
  #done = false;

  constructor(
    readonly max: number,
    private readonly waiters: Set<PullWaiter>,
    private readonly resolve: (batch: BrokerMessage[]) => void,
    private readonly signal: AbortSignal | undefined,
    expiresMs: number | undefined,
  ) {
    waiters.add(this);
    if (expiresMs !== undefined) {
      // A waiting pull must not keep the process alive on its own.
      this.#timer = setTimeout(() => this.finish([]), expiresMs).unref();
    }
    signal?.addEventListener("abort", this, { once: true });
  }

  /** Abort listener (the waiter itself is the listener: nothing to keep for removal). */
  handleEvent(): void {
    this.finish([]);
  }

  finish(batch: BrokerMessage[]): void {
    if (this.#done) return;
    this.#done = true;
    this.waiters.delete(this);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.signal?.removeEventListener("abort", this);
    this.resolve(batch);
  }
}
