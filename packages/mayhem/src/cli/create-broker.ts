import type { Broker } from "../broker/index.js";
import { MemoryBroker } from "../broker/index.js";
import type { NatsBrokerLogger, NatsBrokerOptions } from "../broker/nats/index.js";
import { NatsBroker } from "../broker/nats/index.js";
import type { MayhemConfig } from "../config/index.js";
import { ConfigError, isNatsBroker } from "../config/index.js";
import { startingNats } from "./broker-start-error.js";

/** The NATS ack wait has a floor: below it, `working()` could not keep up. */
const MIN_NATS_ACK_WAIT_MS = 100;

/** The connection and naming options of the NATS broker, from the `broker` and `nats*` knobs. */
export function natsTopologyOptions(
  config: MayhemConfig,
): Required<
  Pick<NatsBrokerOptions, "servers" | "stream" | "subject" | "durable" | "deadLetterSubject">
> {
  return {
    servers: config.broker,
    stream: config.natsStream,
    subject: config.natsSubject,
    durable: config.natsDurable,
    deadLetterSubject: config.natsDeadLetterSubject,
  };
}

/**
 * The one place that turns configuration into a broker. Add a broker kind
 * here (and to the `broker` knob's parser), nowhere else.
 *
 * `memory` is made at once; a NATS URL connects, creates or checks the
 * streams and the durable consumer, and starts fetching (ack wait =
 * `ackDeadlineMs`, max deliver = `maxDeliveries`, at most `maxInFlight`
 * messages buffered and leased together).
 *
 * @throws {ConfigError} for a knob the chosen broker cannot take.
 * @throws {BrokerStartError} when the NATS server is unreachable or its stream or consumer differs.
 */
export async function createBroker(
  config: MayhemConfig,
  logger?: NatsBrokerLogger,
): Promise<Broker> {
  if (!isNatsBroker(config.broker)) {
    return new MemoryBroker({
      ackDeadlineMs: config.ackDeadlineMs,
      maxDeliveries: config.maxDeliveries,
      // The broker's bound must not be what throttles the consumer's own bound.
      maxInFlight: Math.max(config.maxInFlight, 10_000),
    });
  }
  if (config.ackDeadlineMs < MIN_NATS_ACK_WAIT_MS) {
    throw new ConfigError(
      "--ack-deadline-ms",
      String(config.ackDeadlineMs),
      `at least ${MIN_NATS_ACK_WAIT_MS} ms with a NATS broker`,
    );
  }
  return startingNats(config.broker, () =>
    NatsBroker.connect({
      ...natsTopologyOptions(config),
      ackDeadlineMs: config.ackDeadlineMs,
      maxDeliveries: config.maxDeliveries,
      // Fetch only what the consumer can start soon: a message buffered behind
      // busy handlers would burn its ack wait, and a delivery, unhandled.
      maxInFlight: config.maxInFlight,
      ...(logger === undefined ? {} : { logger }),
    }),
  );
}
