import type { Broker } from "../broker/index.js";
import { MemoryBroker } from "../broker/index.js";
import type { MayhemConfig } from "../config/index.js";

/**
 * The one place that turns configuration into a broker. Add a broker kind
 * here (and to the `broker` knob's parser), nowhere else.
 */
export function createBroker(config: MayhemConfig): Broker {
  switch (config.broker) {
    case "memory":
      return new MemoryBroker({
        ackDeadlineMs: config.ackDeadlineMs,
        maxDeliveries: config.maxDeliveries,
        // The broker's bound must not be what throttles the consumer's own bound.
        maxOutstanding: Math.max(config.maxInFlight, 10_000),
      });
    default:
      throw new TypeError(`unknown broker ${JSON.stringify(config.broker)}`);
  }
}
