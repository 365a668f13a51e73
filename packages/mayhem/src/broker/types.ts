/**
 * The contract every pub/sub behind Mayhem implements: the embedded in-memory
 * broker (`memory`) and NATS JetStream (`nats`). The service only ever talks to
 * this interface, so both brokers must keep the same semantics:
 *
 * - at-least-once: a pulled message is *leased* to its holder until it is
 *   acked, nacked, terminated, or its ack deadline passes; then it is delivered
 *   again (with `deliveryAttempt` one higher);
 * - a message is never leased to two holders at once;
 * - after `maxDeliveries` attempts, a message that is nacked or expires again
 *   goes to the dead-letter list instead of being redelivered.
 *
 * Settlement calls (`ack`, `nack`, `term`, `extendDeadline`) are synchronous and
 * fire-and-forget, like JetStream's `ack()`/`nak()`/`working()`/`term()`: they
 * are on the hot path of every message. A settlement of a lease that is no longer
 * held (its deadline passed and it was redelivered, or it was already settled)
 * has no effect and is counted in {@link BrokerStats.lateSettlements}.
 *
 * Lifecycle: `close()` stops the broker for good and resolves once it is
 * closed; `closed()` resolves at that same moment, whoever closed it, and also
 * when the broker closes on its own (NATS: the connection is lost for good), then
 * with the Error that ended it. It never rejects, like nats.js's own `closed()`,
 * so a caller that never awaits it cannot get an unhandled rejection. A broker
 * that closed on its own refuses publishes, but its pulls keep waiting for their
 * expiry or abort (a loop on `pull()` must not spin on an instant `[]`) until
 * `stopPulling()` or `close()` ends them.
 * `await using broker = ...` (`[Symbol.asyncDispose]`) calls `close()`.
 *
 * One word per concept, on every broker: `ackDeadlineMs` (how long a lease
 * lasts), `maxDeliveries` (deliveries a message gets), `maxInFlight` (messages a
 * broker holds for this process: leased, plus buffered on NATS),
 * `deliveryAttempt` (which delivery this is, from 1).
 */
export interface Broker {
  /** `memory` or `nats`, for logs and stats. */
  readonly kind: string;

  /** Publishes one message. Resolves when the broker has stored it. */
  publish(data: Uint8Array): Promise<void>;

  /**
   * Leases up to `max` messages. Resolves as soon as at least one is available
   * (it never resolves with an empty batch while messages are available and the
   * `maxInFlight` bound allows), or with an empty array when `signal` aborts, the
   * broker closes, or `expiresMs` passes with nothing to deliver.
   */
  pull(options: PullOptions): Promise<BrokerMessage[]>;

  /**
   * Stops taking work for this process: pending and later `pull()` calls
   * resolve `[]`; leases already held can still be settled, and `publish()`
   * still works. Resolves once nothing more can arrive for this process (on
   * NATS, once the last fetch has ended: a pull request cannot be withdrawn
   * from the server). Graceful shutdown calls it before nacking the in-flight
   * messages, so that they go to another instance rather than back to this
   * one. Idempotent; `close()` implies it.
   */
  stopPulling(): Promise<void>;

  /** Current figures; a fresh, plain object. */
  stats(): BrokerStats;

  /**
   * Stops delivering: pending `pull()` calls resolve with `[]`, timers are
   * cleared, connections drained; later `publish()` calls reject with
   * `BrokerClosedError`. Idempotent; a second call joins the first.
   */
  close(): Promise<void>;

  /**
   * Settles once the broker is closed, by `close()` or on its own. Never
   * rejects: resolves `undefined` after `close()`, or with the Error that
   * closed the broker otherwise (on NATS, a connection lost for good; then
   * pulls wait for their expiry or abort until `close()`).
   */
  closed(): Promise<void | Error>;

  /** Calls `close()`: for `await using broker = ...`. */
  [Symbol.asyncDispose](): Promise<void>;
}

export interface PullOptions {
  /** Upper bound on the batch size; at least 1. */
  readonly max: number;
  /** Give up and resolve `[]` after this long with nothing to deliver. Default: wait until aborted or closed. */
  readonly expiresMs?: number;
  /** Aborting resolves a waiting pull with `[]`. */
  readonly signal?: AbortSignal;
}

/** One leased delivery of a message. */
export interface BrokerMessage {
  /** Stable id of the message in the broker (the same across redeliveries). */
  readonly id: string;
  /** The payload exactly as published. */
  readonly data: Uint8Array;
  /** 1 on first delivery, 2 on the first redelivery, and so on. */
  readonly deliveryAttempt: number;
  /** Settles the message for good. */
  ack(): void;
  /** Gives the message back for redelivery, after `delayMs` (default 0). */
  nack(delayMs?: number): void;
  /** Poison message: never redeliver. `reason` is kept with the dead letter. */
  term(reason?: string): void;
  /** Resets the ack deadline to a full ack-deadline period from now (JetStream's `working()`). */
  extendDeadline(): void;
}

export interface BrokerStats {
  readonly kind: string;
  readonly published: number;
  /** Messages waiting to be delivered (including delayed redeliveries). */
  readonly pending: number;
  /** Messages leased and not yet settled. */
  readonly outstanding: number;
  readonly delivered: number;
  readonly redelivered: number;
  readonly acked: number;
  readonly nacked: number;
  readonly terminated: number;
  readonly expired: number;
  readonly deadLettered: number;
  readonly lateSettlements: number;
}

/** A message that reached its maximum deliveries, or was terminated. */
export interface DeadLetter {
  readonly id: string;
  readonly data: Uint8Array;
  readonly deliveries: number;
  readonly reason: string;
  readonly at: number;
}
