/** What the registry needs of a task: its id and two link fields it owns. */
export interface PendingNode<N> {
  readonly id: number;
  /** The previous and next pending task, in creation order. Owned by the registry. */
  prevPending: N | undefined;
  nextPending: N | undefined;
}

/**
 * Every task not yet settled, in creation order: an intrusive doubly-linked list
 * through the tasks' own `prevPending`/`nextPending` fields.
 *
 * Adding and removing are a few field writes and allocate nothing, where a `Map` keyed
 * by id cost ~160 ns a task (hashing, holes left by deletes, rehashing as ids grow)
 * and grew a backing store for the garbage collector to copy. Finding a task by id
 * walks the list: that is a console's action, rare next to spawning.
 */
export class PendingList<T extends PendingNode<T>> {
  private head: T | undefined = undefined;
  private tail: T | undefined = undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Append a task that is in no list. */
  add(node: T): void {
    const tail = this.tail;
    node.prevPending = tail;
    node.nextPending = undefined;
    if (tail === undefined) this.head = node;
    else tail.nextPending = node;
    this.tail = node;
    this.count++;
  }

  /** Remove a task this list holds (the caller knows: it is removed once, when it settles). */
  remove(node: T): void {
    const prev = node.prevPending;
    const next = node.nextPending;
    if (prev === undefined) this.head = next;
    else prev.nextPending = next;
    if (next === undefined) this.tail = prev;
    else next.prevPending = prev;
    node.prevPending = node.nextPending = undefined;
    this.count--;
  }

  /** The pending task with this id. Ids increase along the list, so the walk stops early. */
  find(id: number): T | undefined {
    for (let node = this.head; node !== undefined; node = node.nextPending) {
      if (node.id === id) return node;
      if (node.id > id) return undefined;
    }
    return undefined;
  }

  /**
   * The pending tasks, oldest first, as an array copied now: callers may settle or
   * remove tasks while they go through it.
   */
  toArray(): T[] {
    const nodes = new Array<T>(this.count);
    let i = 0;
    for (let node = this.head; node !== undefined; node = node.nextPending) nodes[i++] = node;
    nodes.length = i;
    return nodes;
  }
}
