import type { Broker } from "../broker/index.js";
import { MemoryBroker } from "../broker/index.js";
import type { NatsBrokerLogger, NatsBrokerOptions } from "../broker/nats/index.js";
import { NatsBroker } from "../broker/nats/index.js";
import type { MayhemConfig } from "../config/index.js";
import { ConfigError } from "../config/index.js";

/** Stable code of {@link BrokerStartError}. */
export const BROKER_START_FAILED = "MAYHEM_ERR_BROKER_START";

/** How to get a local server, for error messages and the docs. */
export const LOCAL_NATS_SERVER_HINT =
  "start a local one with: nats-server -js -sd /tmp/nats-store -a 127.0.0.1 -p 4222";

/** The NATS ack wait has a floor: below it, `working()` could not keep up. */
const MIN_NATS_ACK_WAIT_MS = 100;

/**
 * The broker could not be started (or read): the server is unreachable, or an
 * existing stream or consumer does not match the configuration. The CLI prints
 * the message (never a stack) and exits 1; `cause` holds the client's error.
 */
export class BrokerStartError extends Error {
  readonly code = BROKER_START_FAILED;
  constructor(
    /** Where the broker was: the server URL. */
    readonly server: string,
    cause: unknown,
    /** What was being done, for the message. */
    action = "start the nats broker",
  ) {
    super(`could not ${action} at ${server}: ${explain(cause)}`, { cause });
    this.name = "BrokerStartError";
  }
}

function explain(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  // The client says CONNECTION_REFUSED (or a timeout) when nothing listens there.
  if (/refused|ECONNREFUSED|timeout|ENOTFOUND|EAI_AGAIN/i.test(message)) {
    return `${message} (is a nats-server with JetStream running there? ${LOCAL_NATS_SERVER_HINT})`;
  }
  return message;
}

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
 * Runs `start` (a connect), turning any failure into a {@link BrokerStartError}
 * naming the server. TypeErrors (bad options) are programming errors and pass through.
 */
export async function startingNats<T>(
  server: string,
  start: () => Promise<T>,
  action?: string,
): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (error instanceof TypeError) throw error;
    throw new BrokerStartError(server, error, action);
  }
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
  if (config.broker === "memory") {
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
