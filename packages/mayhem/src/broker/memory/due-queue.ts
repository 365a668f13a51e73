interface Entry<T> {
  readonly item: T;
  readonly due: number;
  /** Insertion order, so items due at the same time come out first-in first-out. */
  readonly seq: number;
}

/**
 * A binary min-heap of items keyed by the time they are due: delayed
 * redeliveries wait here under a single timer armed for the earliest one.
 */
export class DueQueue<T> {
  readonly #heap: Entry<T>[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  /** When the earliest item is due, or `undefined` when empty. */
  peekDue(): number | undefined {
    return this.#heap[0]?.due;
  }

  push(item: T, due: number): void {
    const heap = this.#heap;
    const entry: Entry<T> = { item, due, seq: this.#seq++ };
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  /** Removes and returns the earliest item, or `undefined` when empty. */
  pop(): T | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && before(heap[right]!, heap[left]!) ? right : left;
        const c = heap[child]!;
        if (!before(c, last)) break;
        heap[i] = c;
        i = child;
      }
      heap[i] = last;
    }
    return top.item;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
