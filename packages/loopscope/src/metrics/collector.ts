import type { EventLoopUtilization, IntervalHistogram } from "node:perf_hooks";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { eventStats } from "../events/index.js";
import { pendingTaskCount } from "../tasks/index.js";
import { loopBlockedStats } from "../watchdog/index.js";
import type { LoopMetricsSample } from "./sample.js";

/** Sampling resolution of the delay histogram, in milliseconds (Node's timer does the sampling). */
export const DELAY_RESOLUTION_MS = 25;

const NS_PER_MS = 1e6;

/**
 * `monitorEventLoopDelay` records the time between two ticks of its timer: the
 * resolution plus how late the tick came. An idle loop would read the resolution; the delay is
 * the lateness alone (what aiodebug's lag is: a sleep's overrun), so the resolution
 * comes off every figure.
 */
function latenessMs(betweenTicksNs: number): number {
  return Math.max(0, betweenTicksNs / NS_PER_MS - DELAY_RESOLUTION_MS);
}

/** What the collector reads of the delay histogram; `monitorEventLoopDelay`'s, or a test's. */
export type DelayHistogram = Pick<
  IntervalHistogram,
  "count" | "max" | "percentile" | "reset" | "enable" | "disable"
>;

/**
 * Measures the loop per interval: `monitorEventLoopDelay` reset at each interval end,
 * `eventLoopUtilization` as a difference between interval ends, the watchdog's and the
 * event stream's counters as differences. The interval timer is unref'd: it never keeps
 * an idle process awake, and exporters read the finished sample instead of measuring at
 * scrape time.
 */
export class LoopMetricsCollector {
  readonly #histogram: DelayHistogram;
  readonly #onSample: (sample: LoopMetricsSample) => void;
  #elu: EventLoopUtilization;
  #startedAt: number;
  #blocked = loopBlockedStats();
  #dropped = eventStats().dropped;
  #timer: NodeJS.Timeout | undefined;
  #latest: LoopMetricsSample | undefined;

  constructor(
    intervalMs: number,
    onSample: (sample: LoopMetricsSample) => void,
    histogram: DelayHistogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS }),
  ) {
    this.#onSample = onSample;
    this.#histogram = histogram;
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
      delayP50Ms: hasSamples ? latenessMs(histogram.percentile(50)) : 0,
      delayP90Ms: hasSamples ? latenessMs(histogram.percentile(90)) : 0,
      delayP99Ms: hasSamples ? latenessMs(histogram.percentile(99)) : 0,
      delayMaxMs: hasSamples ? latenessMs(histogram.max) : 0,
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
