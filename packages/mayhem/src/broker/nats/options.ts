import { describe, rejectRetiredOptions } from "../option-checks.js";

/** The subset of a pino logger the NATS broker uses; pass a pino logger as is. */
export interface NatsBrokerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Options of {@link NatsBroker.connect}. Only `servers` is required.
 *
 * @example
 * ```ts
 * const broker = await NatsBroker.connect({ servers: "nats://127.0.0.1:4222", logger: pino() });
 * ```
 */
export interface NatsBrokerOptions {
  /** Server URL, `nats://host:port` (a comma-separated list is accepted for a cluster). */
  readonly servers: string;
  /** Stream holding the work. Created if missing; checked if present. Default `MAYHEM`. */
  readonly stream?: string;
  /** Subject the work is published on (the stream's only subject). Default `mayhem.restart`. */
  readonly subject?: string;
  /** Durable pull consumer shared by every instance. Default `mayhem`. */
  readonly durable?: string;
  /**
   * How long a delivered message stays leased before the server redelivers it,
   * in ms: the consumer's `ack_wait`. `extendDeadline()` restarts it. Default 10 000.
   */
  readonly ackDeadlineMs?: number;
  /**
   * Deliveries handed to the handler. After the last one, a nack or an expired
   * lease dead-letters the message. The consumer's `max_deliver` is this plus
   * one: see the README for why. Default 5.
   */
  readonly maxDeliveries?: number;
  /** Subject dead letters are published on. Default `mayhem.dead`. */
  readonly deadLetterSubject?: string;
  /** Stream that stores dead letters (its only subject is `deadLetterSubject`). Default `<stream>_DEAD`. */
  readonly deadLetterStream?: string;
  /** The consumer's `max_ack_pending`: unacked messages across all instances. Default 10 000. */
  readonly maxAckPending?: number;
  /**
   * Messages fetched ahead of `pull()`; the local buffer holds at most this many
   * (and never more than `maxInFlight`) and the client asks the server for more
   * only as it drains. Default 256.
   */
  readonly prefetch?: number;
  /**
   * Most messages this instance holds at once: fetched but not yet pulled, plus
   * leased and not yet settled. The broker fetches only for the room left under
   * it, so a fetched message never waits in the buffer, its ack deadline running,
   * for a handler slot that will not free up in time, and one instance does not
   * hoard work other instances could do. Set it to the consumer's bound on
   * concurrent handlers (the CLI passes `--max-in-flight`). Default
   * `maxAckPending`.
   */
  readonly maxInFlight?: number;
  /** Bound on JetStream publishes awaiting their server ack; more `publish()` calls wait. Default 1 024. */
  readonly publishWindow?: number;
  /** Wait between reconnect attempts, in ms (the client adds jitter). Default 1 000. */
  readonly reconnectTimeWaitMs?: number;
  /** Connection name shown by the server's monitoring. Default `mayhem`. */
  readonly name?: string;
  /** pino-compatible logger; default silent. */
  readonly logger?: NatsBrokerLogger;
}

export interface ResolvedNatsBrokerOptions {
  readonly servers: string[];
  readonly stream: string;
  readonly subject: string;
  readonly durable: string;
  readonly ackDeadlineMs: number;
  readonly maxDeliveries: number;
  readonly deadLetterSubject: string;
  readonly deadLetterStream: string;
  readonly maxAckPending: number;
  /** At most `maxInFlight`. */
  readonly prefetch: number;
  readonly maxInFlight: number;
  readonly publishWindow: number;
  readonly reconnectTimeWaitMs: number;
  readonly name: string;
  readonly logger: NatsBrokerLogger;
}

/** Defaults of {@link NatsBrokerOptions}. */
export const natsBrokerDefaults = Object.freeze({
  stream: "MAYHEM",
  subject: "mayhem.restart",
  durable: "mayhem",
  ackDeadlineMs: 10_000,
  maxDeliveries: 5,
  deadLetterSubject: "mayhem.dead",
  maxAckPending: 10_000,
  prefetch: 256,
  publishWindow: 1_024,
  reconnectTimeWaitMs: 1_000,
  name: "mayhem",
});

const silentLogger: NatsBrokerLogger = Object.freeze({
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

// JetStream names: no whitespace, dots or wildcards (they become API subject tokens).
const NAME_PATTERN = /^[^\s.*>/\\]+$/;
// Subjects: dot-separated tokens without whitespace; wildcards are refused too,
// since a message is published on exactly this subject.
const SUBJECT_PATTERN = /^[^\s.*>]+(\.[^\s.*>]+)*$/;

/** Applies defaults and rejects bad values with a TypeError naming the option and the value. */
export function resolveNatsBrokerOptions(options: NatsBrokerOptions): ResolvedNatsBrokerOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`NatsBroker options must be an object; received ${describe(options)}`);
  }
  rejectRetiredOptions("NatsBrokerOptions", options, {
    ackWaitMs: "ackDeadlineMs",
    maxDeliver: "maxDeliveries",
  });
  const servers = parseServers(options.servers);
  const stream = nameOption("stream", options.stream ?? natsBrokerDefaults.stream);
  const durable = nameOption("durable", options.durable ?? natsBrokerDefaults.durable);
  const deadLetterStream = nameOption(
    "deadLetterStream",
    options.deadLetterStream ?? `${stream}_DEAD`,
  );
  const subject = subjectOption("subject", options.subject ?? natsBrokerDefaults.subject);
  const deadLetterSubject = subjectOption(
    "deadLetterSubject",
    options.deadLetterSubject ?? natsBrokerDefaults.deadLetterSubject,
  );
  if (deadLetterSubject === subject) {
    throw optionError(
      "deadLetterSubject",
      `a subject other than subject (${describe(subject)})`,
      deadLetterSubject,
    );
  }
  if (deadLetterStream === stream) {
    throw optionError(
      "deadLetterStream",
      `a stream other than stream (${describe(stream)})`,
      deadLetterStream,
    );
  }
  const logger = options.logger ?? silentLogger;
  if (
    typeof logger !== "object" ||
    logger === null ||
    typeof logger.info !== "function" ||
    typeof logger.warn !== "function" ||
    typeof logger.error !== "function"
  ) {
    throw optionError(
      "logger",
      "an object with info(), warn() and error() (a pino logger)",
      logger,
    );
  }
  const maxAckPending = integerOption(
    "maxAckPending",
    options.maxAckPending ?? natsBrokerDefaults.maxAckPending,
    1,
  );
  const maxInFlight = integerOption("maxInFlight", options.maxInFlight ?? maxAckPending, 1);
  const prefetch = integerOption("prefetch", options.prefetch ?? natsBrokerDefaults.prefetch, 1);
  const name = options.name ?? natsBrokerDefaults.name;
  if (typeof name !== "string" || name === "")
    throw optionError("name", "a non-empty string", name);
  return {
    servers,
    stream,
    subject,
    durable,
    ackDeadlineMs: integerOption(
      "ackDeadlineMs",
      options.ackDeadlineMs ?? natsBrokerDefaults.ackDeadlineMs,
      100,
    ),
    maxDeliveries: integerOption(
      "maxDeliveries",
      options.maxDeliveries ?? natsBrokerDefaults.maxDeliveries,
      1,
    ),
    deadLetterSubject,
    deadLetterStream,
    maxAckPending,
    // Never hold more than the consumer can start soon.
    prefetch: Math.min(prefetch, maxInFlight),
    maxInFlight,
    publishWindow: integerOption(
      "publishWindow",
      options.publishWindow ?? natsBrokerDefaults.publishWindow,
      1,
    ),
    reconnectTimeWaitMs: integerOption(
      "reconnectTimeWaitMs",
      options.reconnectTimeWaitMs ?? natsBrokerDefaults.reconnectTimeWaitMs,
      0,
    ),
    name,
    logger,
  };
}

function parseServers(value: unknown): string[] {
  if (typeof value !== "string" || value.trim() === "") {
    throw optionError("servers", "a server URL such as 'nats://127.0.0.1:4222'", value);
  }
  const servers = value.split(",").map((s) => s.trim());
  for (const server of servers) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw optionError("servers", "a server URL such as 'nats://127.0.0.1:4222'", value);
    }
    if (!["nats:", "tls:"].includes(url.protocol) || url.hostname === "") {
      throw optionError("servers", "nats://host:port (or tls://host:port) URLs", value);
    }
  }
  return servers;
}

function nameOption(name: keyof NatsBrokerOptions, value: unknown): string {
  if (typeof value !== "string" || !NAME_PATTERN.test(value)) {
    throw optionError(
      name,
      "a JetStream name without whitespace, '.', '*', '>', '/' or '\\'",
      value,
    );
  }
  return value;
}

function subjectOption(name: keyof NatsBrokerOptions, value: unknown): string {
  if (typeof value !== "string" || !SUBJECT_PATTERN.test(value)) {
    throw optionError(
      name,
      "a NATS subject such as 'mayhem.restart' (no wildcards or whitespace)",
      value,
    );
  }
  return value;
}

function integerOption(name: keyof NatsBrokerOptions, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw optionError(name, `an integer >= ${min}`, value);
  }
  return value;
}

function optionError(name: keyof NatsBrokerOptions, expected: string, value: unknown): TypeError {
  return new TypeError(
    `NatsBrokerOptions.${name} must be ${expected}; received ${describe(value)}`,
  );
}
