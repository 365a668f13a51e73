/**
 * Throughput of the memory broker: publish N messages, then pull them in
 * batches and ack every one. The baseline, measured in the same run, pushes the
 * same N payloads through a plain array and walks it in the same batches, so the
 * ratio is the broker's cost against the least a queue can do.
 *
 * Also measured: the live path, where a consumer waits in `pull()` while a
 * producer publishes (each waiting pull is served from a microtask), as the
 * service runs it.
 *
 *   node --import tsx packages/mayhem/bench/broker-memory.ts [messages] [batch]
 *
 * Prints one JSON object.
 */
import { MemoryBroker } from "../src/broker/index.js";
import { positiveInteger } from "./common.js";

const messages = positiveInteger("messages", process.argv[2] ?? "200000");
const batchSize = positiveInteger("batch", process.argv[3] ?? "256");
const rounds = 5;

const payloads = Array.from({ length: messages }, (_, i) =>
  new TextEncoder().encode(`{"host":"host-${i}"}`),
);

async function brokerRun(): Promise<number> {
  const broker = new MemoryBroker({ maxInFlight: Math.max(batchSize, 10_000) });
  const start = process.hrtime.bigint();
  for (let i = 0; i < messages; i++) await broker.publish(payloads[i]!);
  let received = 0;
  while (received < messages) {
    const batch = await broker.pull({ max: batchSize });
    for (const message of batch) message.ack();
    received += batch.length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const stats = broker.stats();
  if (stats.acked !== messages || stats.pending !== 0 || stats.outstanding !== 0) {
    throw new Error(`broker run lost messages: ${JSON.stringify(stats)}`);
  }
  await broker.close();
  return messages / seconds;
}

/** Producer and consumer at once: the consumer's pull waits and is served as messages arrive. */
async function liveRun(): Promise<number> {
  const broker = new MemoryBroker({ maxInFlight: Math.max(batchSize, 10_000) });
  const start = process.hrtime.bigint();
  const consumer = (async () => {
    let received = 0;
    while (received < messages) {
      const batch = await broker.pull({ max: batchSize });
      for (const message of batch) message.ack();
      received += batch.length;
    }
  })();
  for (let i = 0; i < messages; i++) await broker.publish(payloads[i]!);
  await consumer;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (broker.stats().acked !== messages) throw new Error("live run lost messages");
  await broker.close();
  return messages / seconds;
}

/** The same shape of work with no broker: await per publish, await per batch, touch each message. */
async function baselineRun(): Promise<number> {
  const queue: Uint8Array[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < messages; i++) {
    queue.push(payloads[i]!);
    await Promise.resolve();
  }
  let received = 0;
  let bytes = 0;
  while (received < messages) {
    const batch = await Promise.resolve(queue.slice(received, received + batchSize));
    for (const data of batch) bytes += data.length;
    received += batch.length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (bytes === 0) throw new Error("baseline read nothing");
  return messages / seconds;
}

// Warm up both paths, then take the best of a few alternating rounds (noise on a shared machine only slows runs down).
await brokerRun();
await liveRun();
await baselineRun();
let broker = 0;
let live = 0;
let baseline = 0;
for (let i = 0; i < rounds; i++) {
  broker = Math.max(broker, await brokerRun());
  live = Math.max(live, await liveRun());
  baseline = Math.max(baseline, await baselineRun());
}

console.log(
  JSON.stringify({
    name: "broker-memory",
    messages,
    batch: batchSize,
    broker_msgs_per_s: Math.round(broker),
    baseline_msgs_per_s: Math.round(baseline),
    ratio: Number((broker / baseline).toFixed(3)),
    broker_ns_per_msg: Number((1e9 / broker).toFixed(1)),
    live_msgs_per_s: Math.round(live),
    live_ratio: Number((live / baseline).toFixed(3)),
  }),
);
