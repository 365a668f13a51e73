import type { BrokerMessage } from "../types.js";
import type { LeaseNode } from "./lease-list.js";

/** What a delivery reports its settlement to: the broker's core. */
export interface LeaseSettler {
  /** False once the broker is closed: then no lease is held any more. */
  readonly open: boolean;
  ack(lease: Delivery): void;
  nack(lease: Delivery, delayMs: number): void;
  term(lease: Delivery, reason: string | undefined): void;
  extendDeadline(lease: Delivery): void;
}

/** A published message as the broker stores it, across all its deliveries. */
export class StoredMessage {
  /** How many times it has been delivered so far. */
  deliveries = 0;
  /** The current lease, or `null` while the message is not held by anyone. */
  lease: Delivery | null = null;

  constructor(
    readonly id: string,
    readonly data: Uint8Array,
  ) {}
}

/** A message as the memory broker delivers it: a {@link BrokerMessage} that can tell whether its lease is current. */
export interface MemoryMessage extends BrokerMessage {
  /**
   * Whether this delivery is still the message's current lease: false once it
   * was settled, its deadline passed, or the broker closed.
   */
  readonly held: boolean;
}

/**
 * One lease of a message: what `pull()` hands out. Each delivery is its own
 * object, so a stale lease (expired and redelivered, or already settled) can
 * be told apart from the message's current one and never settles it.
 */
export class Delivery implements MemoryMessage, LeaseNode<Delivery> {
  readonly id: string;
  readonly data: Uint8Array;
  readonly deliveryAttempt: number;
  /** @internal */ prev: Delivery | null = null;
  /** @internal */ next: Delivery | null = null;

  constructor(
    /** @internal */ readonly settler: LeaseSettler,
    /** @internal */ readonly message: StoredMessage,
    /** @internal */ public deadline: number,
  ) {
    this.id = message.id;
    this.data = message.data;
    this.deliveryAttempt = message.deliveries;
  }

  get held(): boolean {
    return this.message.lease === this && this.settler.open;
  }

  /** A plain summary for logs (the object itself links into the broker's lists). */
  toJSON(): { id: string; deliveryAttempt: number; bytes: number; held: boolean } {
    return {
      id: this.id,
      deliveryAttempt: this.deliveryAttempt,
      bytes: this.data.length,
      held: this.held,
    };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `MemoryMessage ${JSON.stringify(this.toJSON())}`;
  }

  ack(): void {
    this.settler.ack(this);
  }

  nack(delayMs = 0): void {
    if (typeof delayMs !== "number" || !(delayMs >= 0) || !Number.isFinite(delayMs)) {
      throw new TypeError(
        `nack(delayMs): delayMs must be a non-negative finite number; received ${String(delayMs)}`,
      );
    }
    this.settler.nack(this, delayMs);
  }

  term(reason?: string): void {
    this.settler.term(this, reason);
  }

  extendDeadline(): void {
    this.settler.extendDeadline(this);
  }
}
