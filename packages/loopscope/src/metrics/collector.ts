import type { EventLoopUtilization, IntervalHistogram } from "node:perf_hooks";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { eventStats } from "../events/index.js";
import { loopBlockedStats, pendingTaskCount } from "../watchdog/index.js";
import type { LoopMetricsSample } from "./sample.js";

/** Sampling resolution of the delay histogram, in milliseconds (Node's timer does the sampling). */
const DELAY_RESOLUTION_MS = 10;

const NS_PER_MS = 1e6;

/**
 * Measures the loop per interval: `monitorEventLoopDelay` reset at each interval end,
 * `eventLoopUtilization` as a difference between interval ends, the watchdog's and the
 * event stream's counters as differences. The interval timer is unref'd: it never keeps
 * an idle process awake, and exporters read the finished sample instead of measuring at
 * scrape time.
 */
export class LoopMetricsCollector {
  readonly #histogram: IntervalHistogram;
  readonly #onSample: (sample: LoopMetricsSample) => void;
  #elu: EventLoopUtilization;
  #startedAt: number;
  #blocked = loopBlockedStats();
  #dropped = eventStats().dropped;
  #timer: NodeJS.Timeout | undefined;
  #latest: LoopMetricsSample | undefined;

  constructor(intervalMs: number, onSample: (sample: LoopMetricsSample) => void) {
    this.#onSample = onSample;
    this.#histogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
    this.#histogram.enable();
    this.#elu = performance.eventLoopUtilization();
    this.#startedAt = performance.now();
    this.#timer = setInterval(() => this.collect(), intervalMs);
    this.#timer.unref();
  }

  /** The last finished interval's sample. */
  get latest(): LoopMetricsSample | undefined {
    return this.#latest;
  }

  /** End the current interval now: measure it, hand it to the exporters, start the next. */
  collect(): LoopMetricsSample {
    const now = performance.now();
    const elu = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(elu, this.#elu).utilization;
    const blocked = loopBlockedStats();
    const dropped = eventStats().dropped;
    const histogram = this.#histogram;
    const hasSamples = histogram.count > 0;
    const sample: LoopMetricsSample = {
      time: Date.now(),
      intervalMs: now - this.#startedAt,
      delayP50Ms: hasSamples ? histogram.percentile(50) / NS_PER_MS : 0,
      delayP90Ms: hasSamples ? histogram.percentile(90) / NS_PER_MS : 0,
      delayP99Ms: hasSamples ? histogram.percentile(99) / NS_PER_MS : 0,
      delayMaxMs: hasSamples ? histogram.max / NS_PER_MS : 0,
      utilization: Number.isFinite(utilization) ? utilization : 0,
      blockedCount: blocked.count - this.#blocked.count,
      blockedMs: blocked.totalMs - this.#blocked.totalMs,
      tasksPending: pendingTaskCount(),
      eventsDropped: dropped - this.#dropped,
    };
    histogram.reset();
    this.#elu = elu;
    this.#startedAt = now;
    this.#blocked = blocked;
    this.#dropped = dropped;
    this.#latest = sample;
    this.#onSample(sample);
    return sample;
  }

  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#histogram.disable();
  }
}
