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
 * It does not bound itself: the broker's pump asks the server only for the
 * room left under `prefetch` and `maxInFlight` (see `NatsBroker`).
 */
export class PrefetchBuffer {
  #items: Prefetched[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
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
    return item;
  }

  /** Removes and returns everything held. */
  takeAll(): Prefetched[] {
    const all = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return all;
  }
}
