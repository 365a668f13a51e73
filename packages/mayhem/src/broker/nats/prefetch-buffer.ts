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
 * Bounded: the pump asks the server for at most `capacity - size` messages at a
 * time, and only once the buffer has drained to its low-water mark (half the
 * capacity), so a fetch is in flight while the other half is being pulled.
 */
export class PrefetchBuffer {
  #items: Prefetched[] = [];
  #head = 0;
  #roomWaiter: (() => void) | undefined;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Room for a worthwhile fetch: drained to half the capacity or less. */
  get low(): boolean {
    return this.size <= this.capacity >> 1;
  }

  /** How many messages the next fetch may bring. */
  get free(): number {
    return Math.max(0, this.capacity - this.size);
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
    if (this.#roomWaiter !== undefined && this.low) this.#wakePump();
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

  /** Resolves once the buffer is {@link PrefetchBuffer.low}, or when {@link PrefetchBuffer.release} is called. */
  room(): Promise<void> {
    if (this.low) return Promise.resolve();
    return new Promise((resolve) => {
      this.#roomWaiter = resolve;
    });
  }

  /** Wakes a pump waiting for room (on close, or on reconnect). */
  release(): void {
    this.#wakePump();
  }

  #wakePump(): void {
    const wake = this.#roomWaiter;
    this.#roomWaiter = undefined;
    wake?.();
  }
}
