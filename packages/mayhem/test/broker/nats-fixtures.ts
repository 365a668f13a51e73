/**
 * Shared pieces of the NATS broker tests: isolated names per test, a recording
 * logger, and polling for the server's asynchronous ack processing.
 */
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type {
  NatsBroker,
  NatsBrokerOptions,
  NatsServerStats,
} from "../../src/broker/nats/index.js";
import type { BrokerMessage } from "../../src/broker/types.js";

let serial = 0;

/** Stream, consumer and subjects no other test uses, so tests on one server do not interfere. */
export function isolatedNames(): Required<
  Pick<
    NatsBrokerOptions,
    "stream" | "durable" | "subject" | "deadLetterSubject" | "deadLetterStream"
  >
> {
  serial++;
  const tag = `t${process.pid}x${serial}`;
  return {
    stream: `S_${tag}`,
    durable: `C_${tag}`,
    subject: `${tag}.work`,
    deadLetterSubject: `${tag}.dead`,
    deadLetterStream: `D_${tag}`,
  };
}

export interface LogLine {
  readonly level: "info" | "warn" | "error";
  readonly msg: string;
  readonly obj: object;
}

/** A pino-compatible logger that records every line. */
export function recordingLogger(): { lines: LogLine[]; info: Log; warn: Log; error: Log } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine["level"]): Log =>
    (obj, msg) => {
      lines.push({ level, msg, obj });
    };
  return { lines, info: at("info"), warn: at("warn"), error: at("error") };
}
type Log = (obj: object, msg: string) => void;

/**
 * Polls until `check` returns true. JetStream processes acks asynchronously, so
 * the figures settle a little after the client sent them; the limit only bounds
 * a failing test, nothing is asserted about how long it took.
 */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  limitMs = 10_000,
): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until every message in the stream is acked (or terminated) and nothing is pending. */
export async function allSettled(
  broker: NatsBroker,
  expectedLastSeq: number,
): Promise<NatsServerStats> {
  let last: NatsServerStats | undefined;
  await eventually(
    async () => {
      last = await broker.serverStats();
      return (
        last.lastSeq === expectedLastSeq &&
        last.ackFloor === last.lastSeq &&
        last.pending === 0 &&
        last.ackPending === 0
      );
    },
    `ack floor reaches ${expectedLastSeq} (last: ${JSON.stringify(last)})`,
  );
  return last!;
}

export function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function decode(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

/** A plain client for reading what the broker stored (dead letters). */
export async function adminClient(
  url: string,
): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const nc = await connect({ servers: url });
  return { nc, jsm: await jetstreamManager(nc) };
}

/** Pulls until `count` messages arrived or `expiresMs` passes with nothing, settling none. */
export async function pullCount(
  broker: NatsBroker,
  count: number,
  expiresMs = 5_000,
): Promise<BrokerMessage[]> {
  const all = [];
  while (all.length < count) {
    const batch = await broker.pull({ max: count - all.length, expiresMs });
    if (batch.length === 0) break;
    all.push(...batch);
  }
  return all;
}
