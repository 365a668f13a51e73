/**
 * A bound on JetStream publishes awaiting their server ack. `acquire()` waits
 * for a free slot (FIFO); `release()` frees one; `close()` wakes every waiter so
 * a closing client never leaves a publisher hanging.
 */
export class PublishWindow {
  readonly #size: number;
  readonly #waiting: (() => void)[] = [];
  #used = 0;
  #closed = false;

  constructor(size: number) {
    this.#size = size;
  }

  /** Publishes awaiting their ack now. */
  get inFlight(): number {
    return this.#used;
  }

  /** Resolves true once a slot is taken, or false if the window was closed meanwhile. */
  async acquire(): Promise<boolean> {
    while (this.#used >= this.#size && !this.#closed) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    if (this.#closed) return false;
    this.#used++;
    return true;
  }

  release(): void {
    this.#used--;
    this.#waiting.shift()?.();
  }

  close(): void {
    this.#closed = true;
    for (const wake of this.#waiting.splice(0)) wake();
  }
}
