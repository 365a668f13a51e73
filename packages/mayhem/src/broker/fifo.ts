/**
 * A first-in first-out queue on a growable ring buffer: O(1) push and shift
 * without `Array.prototype.shift()`, whose cost grows with the array.
 */
export class Fifo<T> {
  #buffer: (T | undefined)[];
  #mask: number;
  #head = 0;
  #size = 0;

  constructor(initialCapacity = 16) {
    const capacity = nextPowerOfTwo(Math.max(2, initialCapacity));
    this.#buffer = new Array<T | undefined>(capacity).fill(undefined);
    this.#mask = capacity - 1;
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size === this.#buffer.length) this.#grow();
    this.#buffer[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
  }

  /** Removes and returns the oldest item, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#buffer[this.#head];
    // Drop the reference so the ring does not keep settled items alive.
    this.#buffer[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
    return item;
  }

  /** A fresh array of the items, oldest first. */
  toArray(): T[] {
    const out = new Array<T>(this.#size);
    for (let i = 0; i < this.#size; i++) {
      out[i] = this.#buffer[(this.#head + i) & this.#mask] as T;
    }
    return out;
  }

  #grow(): void {
    const items = this.toArray();
    const capacity = this.#buffer.length * 2;
    this.#buffer = new Array<T | undefined>(capacity).fill(undefined);
    for (let i = 0; i < items.length; i++) this.#buffer[i] = items[i];
    this.#mask = capacity - 1;
    this.#head = 0;
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
