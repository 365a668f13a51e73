import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { natsBrokerDefaults, resolveNatsBrokerOptions } from "./options.js";

/**
 * The server's figures for Mayhem's stream, consumer and dead letters; one JSON
 * line in `mayhem stats`. Not to be confused with {@link NatsBrokerStats}, one
 * broker's own figures (`NatsBroker.stats()`).
 */
export interface NatsServerStats {
  readonly stream: string;
  readonly consumer: string;
  /** Messages stored in the stream. */
  readonly messages: number;
  /** Sequence of the last message stored. */
  readonly lastSeq: number;
  /** Messages the consumer has not delivered yet. */
  readonly pending: number;
  /** Messages delivered and not yet acked (or terminated). */
  readonly ackPending: number;
  /** Messages delivered more than once and still unacked. */
  readonly redelivered: number;
  /** Stream sequence up to which every message is acked. */
  readonly ackFloor: number;
  /** Dead letters stored (in the dead-letter stream). */
  readonly deadLettered: number;
}

/** Which stream, consumer and dead-letter stream to read; defaults as in {@link NatsBrokerOptions}. */
export interface NatsServerStatsOptions {
  readonly servers: string;
  readonly stream?: string;
  readonly durable?: string;
  readonly deadLetterStream?: string;
}

/** The names {@link readNatsServerStats} needs. */
export interface NatsServerStatsNames {
  readonly stream: string;
  readonly durable: string;
  readonly deadLetterStream: string;
}

/**
 * Connects, reads the server's figures, and disconnects. Does not create
 * anything: a missing stream or consumer is the server's "not found" error.
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(await natsServerStats({ servers: "nats://127.0.0.1:4222" })));
 * ```
 */
export async function natsServerStats(options: NatsServerStatsOptions): Promise<NatsServerStats> {
  const resolved = resolveNatsBrokerOptions({
    servers: options.servers,
    stream: options.stream ?? natsBrokerDefaults.stream,
    durable: options.durable,
    deadLetterStream: options.deadLetterStream,
  });
  const nc = await connect({
    servers: resolved.servers,
    name: `${resolved.name}-stats`,
    reconnect: false,
  });
  try {
    return await readNatsServerStats(await jetstreamManager(nc), resolved);
  } finally {
    await nc.close();
  }
}

/** Reads the figures over an existing JetStream manager. */
export async function readNatsServerStats(
  jsm: JetStreamManager,
  names: NatsServerStatsNames,
): Promise<NatsServerStats> {
  const [stream, consumer, deadLettered] = await Promise.all([
    jsm.streams.info(names.stream),
    jsm.consumers.info(names.stream, names.durable),
    deadLetterCount(jsm, names.deadLetterStream),
  ]);
  return {
    stream: names.stream,
    consumer: names.durable,
    messages: stream.state.messages,
    lastSeq: stream.state.last_seq,
    pending: consumer.num_pending,
    ackPending: consumer.num_ack_pending,
    redelivered: consumer.num_redelivered,
    ackFloor: consumer.ack_floor.stream_seq,
    deadLettered,
  };
}

async function deadLetterCount(jsm: JetStreamManager, stream: string): Promise<number> {
  try {
    return (await jsm.streams.info(stream)).state.messages;
  } catch (error) {
    // No dead-letter stream yet (no broker has started): nothing was dead-lettered.
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)
      return 0;
    throw error;
  }
}
