import { performance } from "node:perf_hooks";
import type { BrokerMessage } from "../broker/index.js";
import { MemoryBroker } from "../broker/index.js";
import type { MayhemConfig } from "../config/index.js";
import { defaultConfig } from "../config/index.js";
import { silentLogger } from "../log/index.js";
import type { DeliveryHandler, DeliveryOutcome } from "../service/index.js";
import { runService, yieldSleeper } from "../service/index.js";
import { checkBenchCounts, median, round } from "./figures.js";

export interface BenchOptions {
  /** Messages published per run. */
  readonly messages: number;
  /** Runs of each kind, alternating real and ceiling; the medians are reported. Default 1. */
  readonly runs?: number;
  /** Seed of every random draw. Default 0, as the Python reference. */
  readonly seed?: number;
  /** Warm-up messages per kind before measuring (JIT). Default min(messages / 10, 20 000). */
  readonly warmupMessages?: number;
}

/** One measured run. */
export interface BenchRun {
  readonly seconds: number;
  readonly msgsPerS: number;
  readonly acked: number;
  readonly deadLettered: number;
  readonly redelivered: number;
  readonly restarted: number;
  readonly saved: number;
  /** CPU time of the whole process (every thread) during the run. */
  readonly cpuSeconds: number;
}

/** The benchmark's one JSON line (snake_case, as the Python reference prints). */
export interface BenchResult {
  readonly messages: number;
  readonly runs: number;
  readonly seconds: number;
  readonly msgs_per_s: number;
  readonly acked: number;
  readonly dead_lettered: number;
  readonly redelivered: number;
  readonly restarted: number;
  readonly saved: number;
  readonly peak_rss_mb: number;
  /**
   * Messages per CPU-second of the whole process (all threads, so a debugger's worker
   * counts). Less sensitive than `msgs_per_s` to other processes competing for the cores.
   */
  readonly msgs_per_cpu_s: number;
  readonly ceiling_msgs_per_s: number;
  readonly ratio_to_ceiling: number;
}

type Mode = "real" | "ceiling";

function benchConfig(messages: number, seed: number): MayhemConfig {
  return {
    ...defaultConfig(),
    publishCount: messages,
    seed,
    // Every sleep is a yield in bench mode; a nack delay would be a real timer.
    nackDelayMs: 0,
    logLevel: "silent",
  };
}

const ACKED: Promise<void> = Promise.resolve();

/**
 * Runs the service once on a fresh MemoryBroker until all `messages` are
 * settled for good (acked or dead-lettered). `ceiling`: the same broker,
 * publisher and consumer, with a handler that acks at once.
 */
async function measureRun(messages: number, seed: number, mode: Mode): Promise<BenchRun> {
  const config = benchConfig(messages, seed);
  const broker = new MemoryBroker({
    ackDeadlineMs: config.ackDeadlineMs,
    maxDeliveries: config.maxDeliveries,
  });
  let acked = 0;
  let deadLettered = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const onOutcome = (outcome: DeliveryOutcome, delivery: BrokerMessage): void => {
    if (outcome === "acked") acked++;
    else if (delivery.deliveryAttempt >= config.maxDeliveries) {
      // Only a last-chance nack can dead-letter: read the broker's count then.
      deadLettered = broker.stats().deadLettered;
    }
    if (acked + deadLettered >= messages) finish();
  };
  const noop: DeliveryHandler = (delivery) => {
    delivery.ack();
    if (++acked >= messages) finish();
    return ACKED;
  };
  const cpuAtStart = process.cpuUsage();
  const start = performance.now();
  const service = runService(config, broker, silentLogger(), {
    sleeper: yieldSleeper,
    quiet: true,
    ...(mode === "ceiling" ? { deliveryHandler: noop } : { onOutcome }),
  });
  await finished;
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const result = await service.shutdown("benchmark done");
  const brokerStats = broker.stats();
  return {
    seconds,
    msgsPerS: messages / seconds,
    acked,
    deadLettered: brokerStats.deadLettered,
    redelivered: brokerStats.redelivered,
    restarted: result.stats.restarted,
    saved: result.stats.saved,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/**
 * The benchmark, with the Python reference's `--bench` semantics: exactly N
 * messages published as fast as possible (one yield each), every sleep a
 * single macrotask yield, seeded 1/4 failures handled (nacked and
 * redelivered), no logging; the clock stops when all N are settled. In the
 * same process it measures the ceiling (no-op handlers) and reports the ratio.
 * It turns on no debugger: a preload may, to measure its cost.
 */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { messages, runs = 1, seed = 0 } = options;
  checkBenchCounts(messages, runs);
  const warmup = options.warmupMessages ?? Math.min(Math.ceil(messages / 10), 20_000);
  if (warmup > 0) {
    await measureRun(warmup, seed, "real");
    await measureRun(warmup, seed, "ceiling");
  }
  const real: BenchRun[] = [];
  const ceiling: BenchRun[] = [];
  for (let i = 0; i < runs; i++) {
    real.push(await measureRun(messages, seed, "real"));
    ceiling.push(await measureRun(messages, seed, "ceiling"));
  }
  const realRate = median(real.map((r) => r.msgsPerS));
  const ceilingRate = median(ceiling.map((r) => r.msgsPerS));
  // Report the counts of the run closest to the median rate.
  const typical = real.reduce((best, r) =>
    Math.abs(r.msgsPerS - realRate) < Math.abs(best.msgsPerS - realRate) ? r : best,
  );
  return {
    messages,
    runs,
    seconds: round(messages / realRate, 3),
    msgs_per_s: round(realRate, 1),
    acked: typical.acked,
    dead_lettered: typical.deadLettered,
    redelivered: typical.redelivered,
    restarted: typical.restarted,
    saved: typical.saved,
    peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
    msgs_per_cpu_s: round(median(real.map((r) => messages / r.cpuSeconds)), 1),
    ceiling_msgs_per_s: round(ceilingRate, 1),
    ratio_to_ceiling: round(realRate / ceilingRate, 3),
  };
}
