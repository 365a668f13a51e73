import type { BrokerMessage } from "../../src/broker/types.js";
import type { MayhemMessage } from "../../src/message/index.js";
import { encodeMessage } from "../../src/message/index.js";

/** A BrokerMessage test double that records every settlement call, in order. */
export class FakeDelivery implements BrokerMessage {
  readonly calls: string[] = [];
  readonly data: Uint8Array;
  constructor(
    message: MayhemMessage,
    readonly id = "1",
    readonly deliveryAttempt = 1,
  ) {
    this.data = encodeMessage(message);
  }
  ack(): void {
    this.calls.push("ack");
  }
  nack(delayMs = 0): void {
    this.calls.push(`nack(${delayMs})`);
  }
  term(reason?: string): void {
    this.calls.push(`term(${reason ?? ""})`);
  }
  extendDeadline(): void {
    this.calls.push("extend");
  }
  count(call: string): number {
    return this.calls.filter((c) => c === call).length;
  }
}

export const sampleMessage: MayhemMessage = {
  messageId: "3bd02361-8dc3-4ef1-ae7c-b68a9a3b1989",
  instanceName: "cattle-1gw8",
  publishedAt: "2024-05-01T12:00:00.000Z",
};
