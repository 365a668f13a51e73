import { performance } from "node:perf_hooks";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { BrokerMessage } from "../broker/index.js";
import { NatsBroker, natsBrokerDefaults } from "../broker/nats/index.js";
import type { MayhemConfig } from "../config/index.js";
import { defaultConfig } from "../config/index.js";
import { silentLogger } from "../log/index.js";
import { createMessage, encodeMessage } from "../message/index.js";
import type { DeliveryOutcome } from "../service/index.js";
import { createRandom, runService, yieldSleeper } from "../service/index.js";
import {
  deleteBenchStreams,
  fillStream,
  freshBenchNames,
  measureRawNatsCeiling,
} from "./nats-raw.js";
import { checkBenchCounts, median, round } from "./figures.js";

export interface NatsBenchOptions {
  /** NATS server URL with JetStream. */
  readonly servers: string;
  /** Messages per run. */
  readonly messages: number;
  /** Runs of each kind, alternating Mayhem and the raw ceiling; medians are reported. Default 1. */
  readonly runs?: number;
  /** Seed of every random draw. Default 0. */
  readonly seed?: number;
  /** Warm-up messages per kind before measuring (JIT, server caches). Default min(messages / 10, 5 000). */
  readonly warmupMessages?: number;
}

/** One measured Mayhem run on NATS. */
export interface NatsBenchRun {
  readonly msgsPerS: number;
  readonly publishMsgsPerS: number;
  readonly acked: number;
  readonly deadLettered: number;
  readonly redelivered: number;
  readonly extended: number;
  /** Extensions not sent to the server (see `EXTEND_COALESCE_SHARE`). */
  readonly coalescedExtensions: number;
}

/** `mayhem bench --broker nats://…`'s one JSON line (snake_case, as the memory bench). */
export interface NatsBenchResult {
  readonly broker: "nats";
  readonly messages: number;
  readonly runs: number;
  readonly seconds: number;
  readonly msgs_per_s: number;
  readonly acked: number;
  readonly dead_lettered: number;
  readonly redelivered: number;
  readonly extended: number;
  readonly coalesced_extensions: number;
  /** How fast the N messages were stored beforehand (not part of the timed consumption). */
  readonly publish_msgs_per_s: number;
  readonly peak_rss_mb: number;
  /** The raw client pulling and acking the same N, no handler. */
  readonly ceiling_msgs_per_s: number;
  readonly ratio_to_ceiling: number;
}

function benchConfig(seed: number): MayhemConfig {
  return {
    ...defaultConfig(),
    seed,
    // Every sleep is a yield in bench mode; a nack delay would be a real server-side delay.
    nackDelayMs: 0,
    logLevel: "silent",
  };
}

/** The payload of message i, the same for Mayhem and the raw ceiling. */
function payloads(seed: number): (i: number) => Uint8Array {
  const random = createRandom(seed);
  return () => encodeMessage(createMessage(random));
}

/**
 * Stores `messages` valid messages on a fresh stream, then runs the service
 * (its handler with every sleep a yield, seeded failures, no logging, no
 * publisher) on a NatsBroker until every message is settled for good: acked,
 * or nacked on its last delivery (dead-lettered). The clock runs from the
 * broker's connect to that moment. The streams are deleted afterwards.
 */
async function measureNatsRun(
  servers: string,
  messages: number,
  seed: number,
): Promise<NatsBenchRun> {
  const config = benchConfig(seed);
  const names = freshBenchNames();
  const admin = await connect({ servers, name: "mayhem-bench-admin" });
  const jsm = await jetstreamManager(admin);
  try {
    await jsm.streams.add({ name: names.stream, subjects: [names.subject] });
    const js = jetstream(admin);
    const publishStart = performance.now();
    await fillStream((data) => js.publish(names.subject, data), messages, payloads(seed));
    const publishMs = performance.now() - publishStart;

    let acked = 0;
    let deadLettered = 0;
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const onOutcome = (outcome: DeliveryOutcome, delivery: BrokerMessage): void => {
      if (outcome === "acked") acked++;
      // A nack of the last allowed delivery is the broker's dead letter (stored asynchronously).
      else if (outcome === "nacked" && delivery.deliveryAttempt >= config.maxDeliveries)
        deadLettered++;
      if (acked + deadLettered >= messages) finish();
    };

    const start = performance.now();
    const broker = await NatsBroker.connect({
      servers,
      ...names,
      ackDeadlineMs: config.ackDeadlineMs,
      maxDeliveries: config.maxDeliveries,
      name: "mayhem-bench",
    });
    const service = runService(config, broker, silentLogger(), {
      sleeper: yieldSleeper,
      quiet: true,
      publish: false,
      onOutcome,
    });
    await finished;
    const seconds = (performance.now() - start) / 1000;
    const result = await service.shutdown("benchmark done");
    const brokerStats = broker.stats();
    return {
      msgsPerS: messages / seconds,
      publishMsgsPerS: (messages / publishMs) * 1000,
      acked,
      deadLettered: brokerStats.deadLettered,
      redelivered: brokerStats.redelivered,
      extended: result.stats.extended,
      coalescedExtensions: brokerStats.coalescedExtensions,
    };
  } finally {
    await deleteBenchStreams(jsm, names);
    await admin.close();
  }
}

/**
 * The benchmark on NATS JetStream: Mayhem handling N stored messages with the
 * memory bench's semantics, against the ceiling measured in the same run, the
 * raw client pulling and acking the same N with no handler. Every run uses a
 * fresh stream (deleted afterwards), so runs never interfere.
 */
export async function runNatsBench(options: NatsBenchOptions): Promise<NatsBenchResult> {
  const { servers, messages, runs = 1, seed = 0 } = options;
  checkBenchCounts(messages, runs);
  const prefetch = natsBrokerDefaults.prefetch;
  const ceilingRun = (count: number): Promise<number> =>
    measureRawNatsCeiling({ servers, count, prefetch, make: payloads(seed) }).then(
      (r) => r.msgsPerS,
    );
  const warmup = options.warmupMessages ?? Math.min(Math.ceil(messages / 10), 5_000);
  if (warmup > 0) {
    await measureNatsRun(servers, warmup, seed);
    await ceilingRun(warmup);
  }
  const real: NatsBenchRun[] = [];
  const ceiling: number[] = [];
  for (let i = 0; i < runs; i++) {
    real.push(await measureNatsRun(servers, messages, seed));
    ceiling.push(await ceilingRun(messages));
  }
  const realRate = median(real.map((r) => r.msgsPerS));
  const ceilingRate = median(ceiling);
  const typical = real.reduce((best, r) =>
    Math.abs(r.msgsPerS - realRate) < Math.abs(best.msgsPerS - realRate) ? r : best,
  );
  return {
    broker: "nats",
    messages,
    runs,
    seconds: round(messages / realRate, 3),
    msgs_per_s: round(realRate, 1),
    acked: typical.acked,
    dead_lettered: typical.deadLettered,
    redelivered: typical.redelivered,
    extended: typical.extended,
    coalesced_extensions: typical.coalescedExtensions,
    publish_msgs_per_s: round(median(real.map((r) => r.publishMsgsPerS)), 1),
    peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
    ceiling_msgs_per_s: round(ceilingRate, 1),
    ratio_to_ceiling: round(realRate / ceilingRate, 3),
  };
}
