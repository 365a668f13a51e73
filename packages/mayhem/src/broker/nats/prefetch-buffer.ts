import type { JsMsg } from "@nats-io/jetstream";

/** A message the server delivered that no `pull()` has taken yet. */
export interface Prefetched {
  readonly msg: JsMsg;
  readonly streamSequence: number;
  readonly deliveryCount: number;
  /** `performance.now()` at arrival: the server's ack wait started about then. */
  readonly receivedAt: number;
}

/**
 * First-in first-out holding area between the JetStream consumer and `pull()`.
 * Bounded: the pump that fills it waits on {@link PrefetchBuffer.room} once it
 * holds `capacity` messages, and while it waits the client sends the server no
 * new pull request, so the server stops delivering.
 */
export class PrefetchBuffer {
  #items: Prefetched[] = [];
  #head = 0;
  #roomWaiter: (() => void) | undefined;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#items.length - this.#head;
  }

  get full(): boolean {
    return this.size >= this.capacity;
  }

  push(item: Prefetched): void {
    this.#items.push(item);
  }

  shift(): Prefetched | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined as unknown as Prefetched; // let it be collected
    this.#head++;
    // Compact now and then instead of Array#shift (O(n) per call).
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (this.#roomWaiter !== undefined && !this.full) this.#wakePump();
    return item;
  }

  /** Removes and returns everything held. */
  takeAll(): Prefetched[] {
    const all = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    this.#wakePump();
    return all;
  }

  /** Resolves once the buffer has room, or when {@link PrefetchBuffer.release} is called. */
  room(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => {
      this.#roomWaiter = resolve;
    });
  }

  /** Wakes a pump waiting for room (on close). */
  release(): void {
    this.#wakePump();
  }

  #wakePump(): void {
    const wake = this.#roomWaiter;
    this.#roomWaiter = undefined;
    wake?.();
  }
}
