import type { JsMsg } from "@nats-io/jetstream";
import type { BrokerMessage } from "../types.js";

/** The tallies behind {@link NatsBroker.stats}; only the broker and its leases write them. */
export interface NatsCounters {
  published: number;
  delivered: number;
  redelivered: number;
  acked: number;
  nacked: number;
  terminated: number;
  expired: number;
  deadLettered: number;
  lateSettlements: number;
  outstanding: number;
  /** Settlements the client could not send (connection closed). */
  settlementFailures: number;
  /** Dead letters that could not be stored; the message stays in the stream and is tried again. */
  deadLetterFailures: number;
  /** `extendDeadline()` calls not sent: the server's deadline had been reset moments before. */
  coalescedExtensions: number;
}

/**
 * An extension within this share of the ack deadline since the previous reset is not
 * sent: the server's deadline is still at least (1 - share) of an ack deadline
 * away, and a `+WPI` per call would cost a protocol message each time a
 * handler extends in a tight loop (the benchmark's extend loop yields once per
 * round, so it calls several times a millisecond).
 */
export const EXTEND_COALESCE_SHARE = 0.05;

/** What a lease needs from its broker (an internal object of the broker, not the broker itself). */
export interface LeaseOwner {
  readonly ackDeadlineMs: number;
  readonly maxDeliveries: number;
  readonly counters: NatsCounters;
  /** Stores a dead letter, then terminates the message (asynchronously). */
  deadLetter(msg: JsMsg, streamSequence: number, deliveries: number, reason: string): void;
  /** A lease was settled: `counters.outstanding` went down, so there may be room to fetch. */
  released(): void;
}

/**
 * One delivery of a JetStream message, leased to whoever pulled it. Settlement
 * maps onto JetStream acks: `ack()` → `+ACK`, `nack(delay)` → `-NAK {delay}`,
 * `extendDeadline()` → `+WPI` (`working()`), `term(reason)` → a dead letter
 * then `+TERM`. A nack of the last allowed delivery dead-letters too.
 *
 * The lease keeps a local copy of the ack deadline so that settling twice, or
 * after the deadline, is counted as a late settlement. A settlement after the
 * deadline is still sent: the server decides whether it still applies.
 */
export class NatsLease implements BrokerMessage {
  readonly id: string;
  readonly data: Uint8Array;
  readonly deliveryAttempt: number;
  #deadline: number;
  /** When the server's ack deadline was last reset: delivery, or the last `working()` sent. */
  #refreshedAt: number;
  #settled = false;

  constructor(
    private readonly msg: JsMsg,
    private readonly streamSequence: number,
    deliveryAttempt: number,
    receivedAt: number,
    private readonly owner: LeaseOwner,
  ) {
    this.id = String(streamSequence);
    this.data = msg.data;
    this.deliveryAttempt = deliveryAttempt;
    this.#deadline = receivedAt + owner.ackDeadlineMs;
    this.#refreshedAt = receivedAt;
  }

  ack(): void {
    if (!this.#settle()) return;
    this.owner.counters.acked++;
    this.#send(() => this.msg.ack());
  }

  nack(delayMs = 0): void {
    if (!this.#settle()) return;
    this.owner.counters.nacked++;
    if (this.deliveryAttempt >= this.owner.maxDeliveries) {
      this.owner.deadLetter(
        this.msg,
        this.streamSequence,
        this.deliveryAttempt,
        `nacked on delivery ${this.deliveryAttempt} of ${this.owner.maxDeliveries}`,
      );
      return;
    }
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? Math.round(delayMs) : undefined;
    this.#send(() => this.msg.nak(delay));
  }

  term(reason?: string): void {
    if (!this.#settle()) return;
    this.owner.counters.terminated++;
    this.owner.deadLetter(
      this.msg,
      this.streamSequence,
      this.deliveryAttempt,
      reason ?? "terminated",
    );
  }

  extendDeadline(): void {
    if (this.#settled) {
      this.owner.counters.lateSettlements++;
      return;
    }
    const now = performance.now();
    if (now - this.#refreshedAt < this.owner.ackDeadlineMs * EXTEND_COALESCE_SHARE) {
      this.owner.counters.coalescedExtensions++;
      return;
    }
    this.#refreshedAt = now;
    this.#deadline = now + this.owner.ackDeadlineMs;
    this.#send(() => this.msg.working());
  }

  /** Marks the lease settled; false (and counted) if it already was. */
  #settle(): boolean {
    const counters = this.owner.counters;
    if (this.#settled) {
      counters.lateSettlements++;
      return false;
    }
    this.#settled = true;
    counters.outstanding--;
    if (performance.now() > this.#deadline) {
      counters.lateSettlements++;
      counters.expired++;
    }
    this.owner.released();
    return true;
  }

  /** Settlement is fire-and-forget and must never throw into the handler. */
  #send(settle: () => void): void {
    try {
      settle();
    } catch {
      // The connection is closed: the server redelivers once the ack deadline passes.
      this.owner.counters.settlementFailures++;
    }
  }
}
