/**
 * NatsBroker pulling and acking N messages with no handler, against the
 * ceiling measured in the same run: the raw @nats-io/jetstream client
 * (`consume()` + `ack()`) on the same N messages. Prints one JSON object.
 *
 *   node --import tsx bench/broker-nats.ts [--messages 20000] [--rounds 2] [--servers nats://host:port]
 *
 * Without --servers it starts its own nats-server (test/helpers/nats-server.ts).
 * Each side gets its own stream and consumer, filled before timing starts.
 */
import { parseArgs } from "node:util";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import {
  deleteBenchStreams,
  fillStream,
  freshBenchNames,
  measureRawNatsCeiling,
} from "../src/bench/index.js";
import { NatsBroker } from "../src/broker/nats/index.js";
import { NatsServer } from "../test/helpers/nats-server.js";
import { positiveInteger } from "./common.js";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    rounds: { type: "string", default: "2" },
    servers: { type: "string" },
    prefetch: { type: "string", default: "256" },
  },
});
const messages = positiveInteger("messages", values.messages);
const rounds = positiveInteger("rounds", values.rounds);
const prefetch = positiveInteger("prefetch", values.prefetch);

const server = values.servers === undefined ? await NatsServer.start() : undefined;
const url = values.servers ?? server!.url;
const payload = new TextEncoder().encode(JSON.stringify({ host: "web-0042", action: "restart" }));

try {
  const raw: number[] = [];
  const broker: number[] = [];
  // Alternate the two sides so that machine noise hits both alike.
  for (let round = 0; round < rounds; round++) {
    raw.push(await rawCeiling());
    broker.push(await natsBroker());
  }
  const best = (ms: number[]): number => Math.min(...ms);
  const perSecond = (ms: number): number => Math.round((messages / ms) * 1000);
  process.stdout.write(
    JSON.stringify({
      bench: "broker-nats",
      messages,
      rounds,
      prefetch,
      server: values.servers ?? "own nats-server",
      raw: { bestMs: round1(best(raw)), perSecond: perSecond(best(raw)), runsMs: raw.map(round1) },
      broker: {
        bestMs: round1(best(broker)),
        perSecond: perSecond(best(broker)),
        runsMs: broker.map(round1),
      },
      ratio: Number((best(raw) / best(broker)).toFixed(3)),
      goal: 0.5,
    }) + "\n",
  );
} finally {
  await server?.dispose();
}

/** The ceiling: a bare JetStream consumer acking each message, nothing else (shared with `mayhem bench`). */
async function rawCeiling(): Promise<number> {
  const run = await measureRawNatsCeiling({
    servers: url,
    count: messages,
    prefetch,
    make: () => payload,
  });
  return run.ms;
}

/** NatsBroker: pull batches, ack each message, no handler. */
async function natsBroker(): Promise<number> {
  const names = freshBenchNames();
  const broker = await NatsBroker.connect({
    servers: url,
    ...names,
    prefetch,
    maxAckPending: Math.max(10_000, prefetch * 4),
  });
  // The broker starts fetching at once; fill through a second client so that
  // the timed part below is pulling and acking only.
  const nc = await connect({ servers: url });
  try {
    const js = jetstream(nc);
    await fill((data) => js.publish(names.subject, data));
    const started = performance.now();
    let count = 0;
    while (count < messages) {
      const batch = await broker.pull({ max: prefetch });
      for (const m of batch) m.ack();
      count += batch.length;
    }
    await nc.flush();
    const elapsed = performance.now() - started;
    const jsm = await jetstreamManager(nc);
    await broker.close();
    await deleteBenchStreams(jsm, names);
    return elapsed;
  } finally {
    await broker.close();
    await nc.close();
  }
}

function fill(publish: (data: Uint8Array) => Promise<unknown>): Promise<void> {
  return fillStream(publish, messages, () => payload);
}

function round1(ms: number): number {
  return Math.round(ms * 10) / 10;
}
