import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import { millis, nanos } from "@nats-io/transport-node";
import { NatsConfigMismatchError } from "./errors.js";
import type { ResolvedNatsBrokerOptions } from "./options.js";

/**
 * The consumer's `max_deliver`: one more than the deliveries handed to the
 * handler. The extra delivery is the broker's own: it dead-letters a message
 * whose last lease expired. This keeps dead-lettering in the stream's durable
 * state, unlike the max-deliveries advisory, a core NATS message that is lost
 * when no instance is connected at that moment.
 */
export function serverMaxDeliver(maxDeliver: number): number {
  return maxDeliver + 1;
}

/** Creates the work stream, the dead-letter stream and the durable consumer, or checks that they match. */
export async function ensureTopology(
  jsm: JetStreamManager,
  options: ResolvedNatsBrokerOptions,
): Promise<void> {
  await ensureStream(jsm, options.stream, options.subject);
  await ensureStream(jsm, options.deadLetterStream, options.deadLetterSubject);
  await ensureConsumer(jsm, options);
}

/** Creates a file-backed stream with `subject` as its only subject, or checks that it has it. */
export async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subject: string,
): Promise<void> {
  const info = await getOrCreate(
    () => jsm.streams.info(name),
    () =>
      jsm.streams.add({
        name,
        subjects: [subject],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
      }),
    JetStreamApiCodes.StreamNotFound,
  );
  checkStream(info, subject);
}

function checkStream(info: StreamInfo, subject: string): void {
  const actual = [...(info.config.subjects ?? [])].sort();
  if (actual.length !== 1 || actual[0] !== subject) {
    throw new NatsConfigMismatchError("stream", info.config.name, "subjects", [subject], actual);
  }
}

async function ensureConsumer(
  jsm: JetStreamManager,
  options: ResolvedNatsBrokerOptions,
): Promise<void> {
  const wanted: Partial<ConsumerConfig> = {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(options.ackWaitMs),
    max_deliver: serverMaxDeliver(options.maxDeliver),
    max_ack_pending: options.maxAckPending,
    filter_subject: options.subject,
    deliver_policy: DeliverPolicy.All,
  };
  const info = await getOrCreate(
    () => jsm.consumers.info(options.stream, options.durable),
    () => jsm.consumers.add(options.stream, wanted),
    JetStreamApiCodes.ConsumerNotFound,
  );
  checkConsumer(info, options);
}

function checkConsumer(info: ConsumerInfo, options: ResolvedNatsBrokerOptions): void {
  const { config } = info;
  const mismatch = (field: string, expected: unknown, actual: unknown): NatsConfigMismatchError =>
    new NatsConfigMismatchError("consumer", info.name, field, expected, actual);

  if (config.deliver_subject !== undefined && config.deliver_subject !== "") {
    throw mismatch("deliver_subject", "none (a pull consumer)", config.deliver_subject);
  }
  if (config.ack_policy !== AckPolicy.Explicit) {
    throw mismatch("ack_policy", AckPolicy.Explicit, config.ack_policy);
  }
  const ackWaitMs = config.ack_wait === undefined ? undefined : millis(config.ack_wait);
  if (ackWaitMs !== options.ackWaitMs) {
    throw mismatch("ack_wait (ms)", options.ackWaitMs, ackWaitMs);
  }
  const maxDeliver = serverMaxDeliver(options.maxDeliver);
  if (config.max_deliver !== maxDeliver) {
    throw mismatch("max_deliver (maxDeliver + 1)", maxDeliver, config.max_deliver);
  }
  if (config.max_ack_pending !== options.maxAckPending) {
    throw mismatch("max_ack_pending", options.maxAckPending, config.max_ack_pending);
  }
  const filters = config.filter_subject ? [config.filter_subject] : (config.filter_subjects ?? []);
  if (filters.length !== 1 || filters[0] !== options.subject) {
    throw mismatch("filter_subject", options.subject, filters.length === 1 ? filters[0] : filters);
  }
}

/**
 * Reads an entity, creating it when the server says it does not exist. When two
 * instances start together, one `add` may lose the race: then the winner's
 * entity is read back and checked like any existing one.
 */
async function getOrCreate<T>(
  read: () => Promise<T>,
  create: () => Promise<T>,
  notFoundCode: number,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === notFoundCode)) throw error;
  }
  try {
    return await create();
  } catch (createError) {
    try {
      return await read();
    } catch {
      throw createError;
    }
  }
}
