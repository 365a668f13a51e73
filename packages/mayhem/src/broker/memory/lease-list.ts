/** A node of {@link LeaseList}: the list links its nodes in place (no wrapper allocation). */
export interface LeaseNode<N extends LeaseNode<N>> {
  prev: N | null;
  next: N | null;
  /** When the lease expires, on the broker's clock. */
  deadline: number;
}

/**
 * The leases a broker holds, ordered by deadline. Every lease and every
 * extension sets its deadline to "now + the ack deadline", which never
 * decreases, so appending keeps the list sorted: the head is always the next
 * lease to expire, and removal or move-to-back is O(1).
 */
export class LeaseList<N extends LeaseNode<N>> {
  head: N | null = null;
  tail: N | null = null;
  size = 0;

  /** Appends `node`, whose deadline must not be earlier than the tail's. */
  append(node: N): void {
    node.prev = this.tail;
    node.next = null;
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.size++;
  }

  remove(node: N): void {
    if (node.prev === null) this.head = node.next;
    else node.prev.next = node.next;
    if (node.next === null) this.tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = null;
    node.next = null;
    this.size--;
  }
}
