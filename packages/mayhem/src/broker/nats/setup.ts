import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
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
export function serverMaxDeliver(maxDeliveries: number): number {
  return maxDeliveries + 1;
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

/**
 * What Mayhem needs of a stream so that no work (or dead letter) is dropped
 * before it is settled: kept until deleted (limits retention: interest or
 * work-queue retention would drop messages under other consumers' acks, or with
 * no consumer at all), on disk (memory storage loses everything on a server
 * restart), and no limit that deletes stored messages (count, size, age, per
 * subject). A stream is created with exactly this; an existing one must match.
 */
const STREAM_REQUIREMENTS = {
  retention: RetentionPolicy.Limits,
  storage: StorageType.File,
  discard: DiscardPolicy.Old,
  max_msgs: -1,
  max_bytes: -1,
  max_msgs_per_subject: -1,
  max_age: 0,
} as const;

/**
 * Creates a file-backed stream with `subject` as its only subject and no limits,
 * or checks that an existing one is such ({@link STREAM_REQUIREMENTS}).
 */
export async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subject: string,
): Promise<void> {
  const info = await getOrCreate(
    () => jsm.streams.info(name),
    () => jsm.streams.add({ name, subjects: [subject], ...STREAM_REQUIREMENTS }),
    JetStreamApiCodes.StreamNotFound,
  );
  checkStream(info, subject);
}

function checkStream(info: StreamInfo, subject: string): void {
  const { config } = info;
  const mismatch = (field: string, expected: unknown, actual: unknown): NatsConfigMismatchError =>
    new NatsConfigMismatchError("stream", config.name, field, expected, actual);

  const subjects = [...(config.subjects ?? [])].sort();
  if (subjects.length !== 1 || subjects[0] !== subject) {
    throw mismatch("subjects", [subject], subjects);
  }
  const wanted = STREAM_REQUIREMENTS;
  if (config.retention !== wanted.retention) {
    throw mismatch("retention", wanted.retention, config.retention);
  }
  if (config.storage !== wanted.storage) {
    throw mismatch("storage", wanted.storage, config.storage);
  }
  // Counts and sizes: -1 is unlimited (the server also reads 0 as unlimited).
  for (const field of ["max_msgs", "max_bytes", "max_msgs_per_subject"] as const) {
    const actual = config[field];
    if (actual !== undefined && actual > 0) throw mismatch(field, wanted[field], actual);
  }
  const maxAgeMs = config.max_age === undefined ? 0 : millis(config.max_age);
  if (maxAgeMs !== wanted.max_age) throw mismatch("max_age (ms)", wanted.max_age, maxAgeMs);
  if (config.discard !== undefined && config.discard !== wanted.discard) {
    throw mismatch("discard", wanted.discard, config.discard);
  }
}

async function ensureConsumer(
  jsm: JetStreamManager,
  options: ResolvedNatsBrokerOptions,
): Promise<void> {
  const wanted: Partial<ConsumerConfig> = {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(options.ackDeadlineMs),
    max_deliver: serverMaxDeliver(options.maxDeliveries),
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
  // Any other policy skips the messages stored before some point: work never delivered.
  if (config.deliver_policy !== DeliverPolicy.All) {
    throw mismatch("deliver_policy", DeliverPolicy.All, config.deliver_policy);
  }
  // Deliveries without their payload would all be terminated as malformed.
  if (config.headers_only === true) {
    throw mismatch("headers_only", false, true);
  }
  const ackWaitMs = config.ack_wait === undefined ? undefined : millis(config.ack_wait);
  if (ackWaitMs !== options.ackDeadlineMs) {
    throw mismatch("ack_wait (ms)", options.ackDeadlineMs, ackWaitMs);
  }
  const maxDeliver = serverMaxDeliver(options.maxDeliveries);
  if (config.max_deliver !== maxDeliver) {
    throw mismatch("max_deliver (maxDeliveries + 1)", maxDeliver, config.max_deliver);
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
