import type { Clock, TimerHandle } from "../clock.js";
import { BrokerClosedError } from "../errors.js";
import type { BrokerStats, DeadLetter, PullOptions } from "../types.js";
import { Delivery, StoredMessage, type LeaseSettler, type MemoryMessage } from "./delivery.js";
import { DueQueue } from "./due-queue.js";
import { Fifo } from "../fifo.js";
import { LeaseList } from "./lease-list.js";
import { describe, pullOptionsError } from "../option-checks.js";
import type { ResolvedMemoryBrokerOptions } from "./options.js";
import { PullWaiter } from "../pull-waiter.js";

/** {@link BrokerStats} plus the figures only the memory broker has. */
export interface MemoryBrokerStats extends BrokerStats {
  readonly kind: "memory";
  /** Of `pending`, the nacked messages waiting out their redelivery delay. */
  readonly delayed: number;
  /** `pull()` calls waiting for messages or for an in-flight slot. */
  readonly waitingPulls: number;
  /** Dead letters dropped from the bounded list (oldest first). */
  readonly deadLettersDropped: number;
}

const resolved: Promise<void> = Promise.resolve();

/**
 * The state machine of the memory broker. Per message it costs two small
 * objects (the stored message and one per delivery) and O(1) work per
 * operation; it arms at most three kinds of timers, none per message: one for
 * the earliest ack deadline, one for the earliest delayed redelivery, and one
 * per *waiting* pull that has `expiresMs`.
 */
export class MemoryBrokerCore implements LeaseSettler {
  readonly #ackDeadlineMs: number;
  readonly #maxDeliveries: number;
  readonly #maxInFlight: number;
  readonly #maxDeadLetters: number;
  readonly #clock: Clock;

  /** Never delivered yet, in publish order. */
  readonly #fresh = new Fifo<StoredMessage>(1024);
  /** Given back (nacked, expired, delay over): served before fresh messages, as JetStream does. */
  readonly #redeliveries = new Fifo<StoredMessage>();
  /** Nacked with a delay, waiting for it to pass. */
  readonly #delayed = new DueQueue<StoredMessage>();
  /** Current leases, earliest deadline first. */
  readonly #leases = new LeaseList<Delivery>();
  /** Waiting pulls in arrival order (a Set iterates in insertion order, deletes in O(1)). */
  readonly #waiters = new Set<PullWaiter<MemoryMessage>>();
  readonly #deadLetters = new Fifo<DeadLetter>();

  #deadlineTimer: TimerHandle | undefined;
  #delayTimer: TimerHandle | undefined;
  #delayTimerDue = 0;
  /** The latest deadline handed out; deadlines never go back, even if the wall clock does. */
  #lastDeadline = -Infinity;
  #drainScheduled = false;
  /** `pulling` until stopPulling() (pulls resolve `[]` from then on), `closed` after close(). */
  #state: "pulling" | "stopped" | "closed" = "pulling";
  readonly #closed: Promise<void>;
  #markClosed!: () => void;
  #nextId = 1;

  #published = 0;
  #delivered = 0;
  #redelivered = 0;
  #acked = 0;
  #nacked = 0;
  #terminated = 0;
  #expired = 0;
  #deadLettered = 0;
  #deadLettersDropped = 0;
  #lateSettlements = 0;

  get open(): boolean {
    return this.#state !== "closed";
  }

  constructor(options: ResolvedMemoryBrokerOptions) {
    this.#ackDeadlineMs = options.ackDeadlineMs;
    this.#maxDeliveries = options.maxDeliveries;
    this.#maxInFlight = options.maxInFlight;
    this.#maxDeadLetters = options.maxDeadLetters;
    this.#clock = options.clock;
    this.#closed = new Promise((resolve) => {
      this.#markClosed = resolve;
    });
  }

  publish(data: Uint8Array): Promise<void> {
    if (this.#state === "closed") {
      return Promise.reject(new BrokerClosedError("publish", "memory"));
    }
    if (!(data instanceof Uint8Array)) {
      return Promise.reject(
        new TypeError(`publish(data): data must be a Uint8Array; received ${describe(data)}`),
      );
    }
    this.#fresh.push(new StoredMessage(String(this.#nextId++), data));
    this.#published++;
    if (this.#waiters.size > 0) this.#scheduleDrain();
    return resolved;
  }

  pull(options: PullOptions): Promise<MemoryMessage[]> {
    const invalid = pullOptionsError(options);
    if (invalid !== undefined) return Promise.reject(invalid);
    const { max, expiresMs, signal } = options;
    if (this.#state !== "pulling" || signal?.aborted === true) {
      return Promise.resolve([]);
    }
    // Waiting pulls go first: a newcomer never overtakes them.
    if (this.#waiters.size === 0) {
      const n = this.#deliverable(max);
      if (n > 0) return Promise.resolve(this.#lease(n));
      if (expiresMs === 0) return Promise.resolve([]);
    }
    return new Promise<MemoryMessage[]>((resolve) => {
      this.#waiters.add(
        new PullWaiter(max, this.#waiters, this.#clock, resolve, signal, expiresMs),
      );
      // Messages may be deliverable already while a drain is pending for earlier waiters.
      this.#scheduleDrain();
    });
  }

  deadLetters(): DeadLetter[] {
    return this.#deadLetters.toArray();
  }

  stats(): MemoryBrokerStats {
    return {
      kind: "memory",
      published: this.#published,
      pending: this.#fresh.size + this.#redeliveries.size + this.#delayed.size,
      outstanding: this.#leases.size,
      delivered: this.#delivered,
      redelivered: this.#redelivered,
      acked: this.#acked,
      nacked: this.#nacked,
      terminated: this.#terminated,
      expired: this.#expired,
      deadLettered: this.#deadLettered,
      lateSettlements: this.#lateSettlements,
      delayed: this.#delayed.size,
      waitingPulls: this.#waiters.size,
      deadLettersDropped: this.#deadLettersDropped,
    };
  }

  stopPulling(): Promise<void> {
    if (this.#state === "pulling") this.#state = "stopped";
    for (const waiter of this.#waiters) waiter.finish([]);
    return resolved;
  }

  close(): Promise<void> {
    if (this.#state !== "closed") this.#shutdown();
    return this.#closed;
  }

  /** Resolves once close() has run; the memory broker closes only on request, so never with an error. */
  closed(): Promise<void> {
    return this.#closed;
  }

  // --- settlement (called by Delivery) ---------------------------------------

  ack(lease: Delivery): void {
    if (!this.#isCurrent(lease)) return;
    this.#release(lease);
    this.#acked++;
  }

  nack(lease: Delivery, delayMs: number): void {
    if (!this.#isCurrent(lease)) return;
    this.#release(lease);
    this.#nacked++;
    const message = lease.message;
    if (message.deliveries >= this.#maxDeliveries) {
      this.#deadLetter(message, `max deliveries (${this.#maxDeliveries}) reached after nack`);
    } else if (delayMs > 0) {
      this.#delay(message, this.#clock.now() + delayMs);
    } else {
      this.#redeliveries.push(message);
    }
  }

  term(lease: Delivery, reason: string | undefined): void {
    if (!this.#isCurrent(lease)) return;
    this.#release(lease);
    this.#terminated++;
    this.#deadLetter(lease.message, `terminated: ${reason ?? "no reason given"}`);
  }

  extendDeadline(lease: Delivery): void {
    if (!this.#isCurrent(lease)) return;
    // Move to the back with a fresh deadline; the armed timer may now fire early, and re-arms.
    this.#leases.remove(lease);
    lease.deadline = this.#nextDeadline(this.#clock.now());
    this.#leases.append(lease);
  }

  // --- internals --------------------------------------------------------------

  /** Counts and rejects a settlement of a lease that is no longer held. */
  #isCurrent(lease: Delivery): boolean {
    if (lease.message.lease === lease && this.#state !== "closed") return true;
    this.#lateSettlements++;
    return false;
  }

  #deliverable(max: number): number {
    const ready = this.#fresh.size + this.#redeliveries.size;
    const slots = this.#maxInFlight - this.#leases.size;
    return Math.min(max, ready, slots);
  }

  /** Leases `n` ready messages (the caller checked they exist and fit). */
  #lease(n: number): Delivery[] {
    const now = this.#clock.now();
    const deadline = this.#nextDeadline(now);
    const batch = new Array<Delivery>(n);
    const redeliveries = this.#redeliveries;
    for (let i = 0; i < n; i++) {
      const message = (redeliveries.size > 0 ? redeliveries.shift() : this.#fresh.shift())!;
      if (++message.deliveries > 1) this.#redelivered++;
      const lease = new Delivery(this, message, deadline);
      message.lease = lease;
      this.#leases.append(lease);
      batch[i] = lease;
    }
    this.#delivered += n;
    if (this.#deadlineTimer === undefined) this.#armDeadlineTimer(now);
    return batch;
  }

  #nextDeadline(now: number): number {
    const deadline = Math.max(now + this.#ackDeadlineMs, this.#lastDeadline);
    this.#lastDeadline = deadline;
    return deadline;
  }

  /** Ends a current lease; the caller decides what becomes of the message. */
  #release(lease: Delivery): void {
    this.#leases.remove(lease);
    lease.message.lease = null;
    if (this.#waiters.size > 0) this.#scheduleDrain();
  }

  #deadLetter(message: StoredMessage, reason: string): void {
    this.#deadLettered++;
    if (this.#maxDeadLetters === 0) {
      this.#deadLettersDropped++;
      return;
    }
    this.#deadLetters.push(
      Object.freeze({
        id: message.id,
        data: message.data,
        deliveries: message.deliveries,
        reason,
        at: this.#clock.now(),
      }),
    );
    if (this.#deadLetters.size > this.#maxDeadLetters) {
      this.#deadLetters.shift();
      this.#deadLettersDropped++;
    }
  }

  /**
   * One timer for all ack deadlines, armed for the earliest. It is left armed
   * when that lease settles (re-arming on every ack would cost more than an
   * early wake-up); when it fires early it simply re-arms for the new head.
   */
  #armDeadlineTimer(now: number): void {
    const head = this.#leases.head;
    if (head === null) return;
    this.#deadlineTimer = this.#clock.setTimeout(
      this.#onDeadlineTimer,
      Math.max(0, head.deadline - now),
    );
  }

  readonly #onDeadlineTimer = (): void => {
    this.#deadlineTimer = undefined;
    if (this.#state === "closed") return;
    const now = this.#clock.now();
    const leases = this.#leases;
    let head = leases.head;
    while (head !== null && head.deadline <= now) {
      this.#expire(head);
      head = leases.head;
    }
    this.#armDeadlineTimer(now);
  };

  #expire(lease: Delivery): void {
    this.#release(lease);
    this.#expired++;
    const message = lease.message;
    if (message.deliveries >= this.#maxDeliveries) {
      this.#deadLetter(
        message,
        `max deliveries (${this.#maxDeliveries}) reached after deadline expiry`,
      );
    } else {
      this.#redeliveries.push(message);
    }
  }

  #delay(message: StoredMessage, due: number): void {
    this.#delayed.push(message, due);
    if (this.#delayTimer !== undefined) {
      if (due >= this.#delayTimerDue) return;
      this.#clock.clearTimeout(this.#delayTimer);
    }
    this.#armDelayTimer(due);
  }

  #armDelayTimer(due: number): void {
    this.#delayTimerDue = due;
    this.#delayTimer = this.#clock.setTimeout(
      this.#onDelayTimer,
      Math.max(0, due - this.#clock.now()),
    );
  }

  readonly #onDelayTimer = (): void => {
    this.#delayTimer = undefined;
    if (this.#state === "closed") return;
    const now = this.#clock.now();
    const delayed = this.#delayed;
    let due = delayed.peekDue();
    while (due !== undefined && due <= now) {
      this.#redeliveries.push(delayed.pop()!);
      due = delayed.peekDue();
    }
    if (due !== undefined) this.#armDelayTimer(due);
    if (this.#waiters.size > 0) this.#scheduleDrain();
  };

  /**
   * Serves waiting pulls once per microtask rather than on every publish or
   * ack, so that a burst of them in one tick fills one batch instead of many.
   */
  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    queueMicrotask(this.#drain);
  }

  readonly #drain = (): void => {
    this.#drainScheduled = false;
    if (this.#state !== "pulling") return;
    for (const waiter of this.#waiters) {
      const n = this.#deliverable(waiter.max);
      if (n === 0) break;
      waiter.finish(this.#lease(n));
    }
  };

  #shutdown(): void {
    this.#state = "closed";
    if (this.#deadlineTimer !== undefined) this.#clock.clearTimeout(this.#deadlineTimer);
    if (this.#delayTimer !== undefined) this.#clock.clearTimeout(this.#delayTimer);
    this.#deadlineTimer = undefined;
    this.#delayTimer = undefined;
    for (const waiter of this.#waiters) waiter.finish([]);
    this.#markClosed();
  }
}
