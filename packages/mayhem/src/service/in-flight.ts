import type { BrokerMessage } from "../broker/index.js";
import type { CancellableWork } from "./dispatcher.js";

/**
 * The deliveries being worked on, in numbered slots reused through a free
 * list. Adding and removing cost no allocation once the table has grown to
 * the in-flight bound; a Map keyed by delivery grows and shrinks its hash
 * table as the few in-flight entries come and go, and showed in profiles.
 */
export class InFlightTable {
  readonly #deliveries: (BrokerMessage | undefined)[] = [];
  readonly #works: (CancellableWork | undefined)[] = [];
  readonly #free: number[] = [];
  #size = 0;

  /** Deliveries held now. */
  get size(): number {
    return this.#size;
  }

  /** Holds `delivery` (and its task, if any); returns its slot, for {@link remove}. */
  add(delivery: BrokerMessage, work: CancellableWork | undefined): number {
    const slot = this.#free.length > 0 ? this.#free.pop()! : this.#deliveries.length;
    this.#deliveries[slot] = delivery;
    this.#works[slot] = work;
    this.#size++;
    return slot;
  }

  /** The delivery in `slot`, if held. */
  delivery(slot: number): BrokerMessage | undefined {
    return this.#deliveries[slot];
  }

  /** Frees `slot`; a slot already free is left alone. */
  remove(slot: number): void {
    if (this.#deliveries[slot] === undefined) return;
    this.#deliveries[slot] = undefined;
    this.#works[slot] = undefined;
    this.#free.push(slot);
    this.#size--;
  }

  /** Every delivery held now, with its task. A copy: callers may remove meanwhile. */
  entries(): [BrokerMessage, CancellableWork | undefined][] {
    const entries: [BrokerMessage, CancellableWork | undefined][] = [];
    for (let slot = 0; slot < this.#deliveries.length; slot++) {
      const delivery = this.#deliveries[slot];
      if (delivery !== undefined) entries.push([delivery, this.#works[slot]]);
    }
    return entries;
  }
}
