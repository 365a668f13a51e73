import type { Broker, BrokerMessage, BrokerStats, PullOptions } from "../../src/broker/types.js";

/**
 * Wraps a real broker and records, by broker id, every payload published and
 * every ack that went through, independently of the service's own counters.
 */
export class RecordingBroker implements Broker {
  readonly kind: string;
  readonly published: Uint8Array[] = [];
  readonly acks = new Map<string, number>();
  constructor(readonly inner: Broker) {
    this.kind = inner.kind;
  }
  async publish(data: Uint8Array): Promise<void> {
    await this.inner.publish(data);
    this.published.push(data);
  }
  async pull(options: PullOptions): Promise<BrokerMessage[]> {
    const batch = await this.inner.pull(options);
    return batch.map((delivery) => ({
      id: delivery.id,
      data: delivery.data,
      deliveryAttempt: delivery.deliveryAttempt,
      ack: () => {
        this.acks.set(delivery.id, (this.acks.get(delivery.id) ?? 0) + 1);
        delivery.ack();
      },
      nack: (delayMs?: number) => delivery.nack(delayMs),
      term: (reason?: string) => delivery.term(reason),
      extendDeadline: () => delivery.extendDeadline(),
    }));
  }
  async stopPulling(): Promise<void> {
    await this.inner.stopPulling?.();
  }
  stats(): BrokerStats {
    return this.inner.stats();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  closed(): Promise<void | Error> {
    return this.inner.closed();
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
