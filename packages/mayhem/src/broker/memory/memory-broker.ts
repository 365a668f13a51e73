import type { Broker, DeadLetter, PullOptions } from "../types.js";
import { MemoryBrokerCore, type MemoryBrokerStats } from "./core.js";
import type { MemoryMessage } from "./delivery.js";
import { resolveMemoryBrokerOptions, type MemoryBrokerOptions } from "./options.js";

/**
 * The embedded in-memory pub/sub: at-least-once delivery with leases, ack
 * deadlines the holder can extend, nack with an optional redelivery delay,
 * terminate, a delivery counter, a bound on messages in flight and a bounded
 * dead-letter list. Everything stays in this process and is lost when it exits.
 *
 * @example
 * ```ts
 * const broker = new MemoryBroker({ ackDeadlineMs: 5_000, maxDeliveries: 3 });
 * await broker.publish(new TextEncoder().encode("restart host-1"));
 * const [message] = await broker.pull({ max: 1 });
 * message.extendDeadline(); // still working on it
 * message.ack();
 * await broker.close(); // or: await using broker = new MemoryBroker(...)
 * ```
 */
export class MemoryBroker implements Broker {
  readonly kind = "memory" as const;
  readonly #core: MemoryBrokerCore;

  /** @throws TypeError naming the option and the value when an option is invalid. */
  constructor(options?: MemoryBrokerOptions) {
    this.#core = new MemoryBrokerCore(resolveMemoryBrokerOptions(options));
  }

  /**
   * Stores a message. The broker keeps `data` itself, without copying it:
   * do not modify it after publishing. Rejects with a `BrokerClosedError`
   * (`MAYHEM_ERR_BROKER_CLOSED`) after {@link MemoryBroker.close}.
   */
  publish(data: Uint8Array): Promise<void> {
    return this.#core.publish(data);
  }

  /**
   * Leases up to `max` messages: redeliveries first, then new messages in
   * publish order, within the `maxInFlight` bound. Waiting pulls are served
   * first-in first-out. Resolves `[]` on abort, on `expiresMs`, or after close.
   */
  pull(options: PullOptions): Promise<MemoryMessage[]> {
    return this.#core.pull(options);
  }

  /**
   * Stops delivering to pullers: waiting pulls resolve `[]`, and so do later
   * ones; leases still held can be settled (a nacked message waits for the
   * next puller, after a restart none: the memory broker lives in one process).
   * Publishing goes on. Resolves at once. Idempotent.
   */
  stopPulling(): Promise<void> {
    return this.#core.stopPulling();
  }

  /** The kept dead letters, oldest first; a fresh array of frozen entries (payloads are not copied). */
  deadLetters(): DeadLetter[] {
    return this.#core.deadLetters();
  }

  /** Current figures; a fresh, plain object. */
  stats(): MemoryBrokerStats {
    return this.#core.stats();
  }

  /**
   * Stops delivering: waiting pulls resolve `[]`, timers are cleared, and
   * leases still held are released without effect (settling them afterwards
   * counts as a late settlement). Idempotent: a second call returns the same promise.
   */
  close(): Promise<void> {
    return this.#core.close();
  }

  /**
   * Resolves once the broker is closed. The memory broker closes only when
   * {@link MemoryBroker.close} is called, so it never resolves with an error.
   */
  closed(): Promise<void | Error> {
    return this.#core.closed();
  }

  /** Closes the broker: `await using broker = new MemoryBroker()` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
