import type { EventLoopUtilization, IntervalHistogram, RecordableHistogram } from "node:perf_hooks";
import { createHistogram, monitorEventLoopDelay, performance } from "node:perf_hooks";
import { eventStats } from "../events/index.js";
import { pendingTaskCount } from "../tasks/index.js";
import { loopBlockedStats, recordLoopDelay, watchdogHeartbeat } from "../watchdog/index.js";
import type { LoopMetricsSample } from "./sample.js";

/**
 * Sampling resolution of the fallback delay histogram (`monitorEventLoopDelay`, used only
 * while no watchdog runs), in milliseconds.
 */
export const DELAY_RESOLUTION_MS = 25;

const NS_PER_MS = 1e6;

/** The loop delay over one interval, in milliseconds. */
export interface DelayFigures {
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** What the collector reads of a histogram: `createHistogram()`'s, `monitorEventLoopDelay`'s, or a test's. */
export type DelayHistogram = Pick<IntervalHistogram, "count" | "max" | "percentile" | "reset">;

/** Where the collector reads the loop's delay. */
export interface LoopDelaySource {
  /** The interval's figures (`undefined` when nothing was measured), and a new interval begins. */
  take(): DelayFigures | undefined;
  stop(): void;
}

/**
 * The figures of `histogram` (nanoseconds), less `offsetMs` each (a sampling timer's own
 * interval), none below 0; `undefined` when it holds no sample.
 */
export function delayFigures(histogram: DelayHistogram, offsetMs = 0): DelayFigures | undefined {
  if (histogram.count === 0) return undefined;
  const ms = (ns: number): number => Math.max(0, ns / NS_PER_MS - offsetMs);
  return {
    p50Ms: ms(histogram.percentile(50)),
    p90Ms: ms(histogram.percentile(90)),
    p99Ms: ms(histogram.percentile(99)),
    maxMs: ms(histogram.max),
  };
}

/**
 * The loop's delay, measured without a timer of its own while the watchdog runs: the
 * watchdog's heartbeat records how late each of its beats came, and how long the loop was
 * held before a beat that ends its idle mode (`recordLoopDelay`); an idle loop (no beats)
 * adds nothing, so an idle interval reads 0. While no watchdog runs (metrics started on
 * their own), `monitorEventLoopDelay` samples instead, with its own 25 ms timer (it records
 * the time between two of its ticks: the 25 ms come off each figure). Which one is chosen
 * again at each interval's end, so a watchdog started or stopped later is followed from
 * the next interval on.
 */
export class HeartbeatDelaySource implements LoopDelaySource {
  readonly #beats: RecordableHistogram = createHistogram();
  readonly #stopRecording = recordLoopDelay(this.#beats);
  /** The fallback histogram, while no watchdog runs; created when first needed. */
  #monitor: IntervalHistogram | undefined;
  #monitoring = false;

  constructor() {
    this.#choose();
  }

  take(): DelayFigures | undefined {
    const figures = this.#monitoring
      ? delayFigures(this.#monitor!, DELAY_RESOLUTION_MS)
      : delayFigures(this.#beats);
    this.#beats.reset();
    this.#monitor?.reset();
    this.#choose();
    return figures;
  }

  stop(): void {
    this.#stopRecording();
    this.#monitor?.disable();
    this.#monitoring = false;
  }

  #choose(): void {
    const watchdogRuns = watchdogHeartbeat() !== undefined;
    if (watchdogRuns && this.#monitoring) {
      this.#monitor!.disable();
      this.#monitoring = false;
    } else if (!watchdogRuns && !this.#monitoring) {
      this.#monitor ??= monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
      this.#monitor.enable();
      this.#monitoring = true;
    }
  }
}

/**
 * Measures the loop per interval: the loop's delay ({@link HeartbeatDelaySource}) reset at
 * each interval end, `eventLoopUtilization` as a difference between interval ends, the
 * watchdog's and the event stream's counters as differences. The interval timer is
 * unref'd: it never keeps an idle process awake, and exporters read the finished sample
 * instead of measuring at scrape time.
 */
export class LoopMetricsCollector {
  readonly #delays: LoopDelaySource;
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
    delays: LoopDelaySource = new HeartbeatDelaySource(),
  ) {
    this.#onSample = onSample;
    this.#delays = delays;
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
    const delay = this.#delays.take();
    const sample: LoopMetricsSample = {
      time: Date.now(),
      intervalMs: now - this.#startedAt,
      delayP50Ms: delay?.p50Ms ?? 0,
      delayP90Ms: delay?.p90Ms ?? 0,
      delayP99Ms: delay?.p99Ms ?? 0,
      delayMaxMs: delay?.maxMs ?? 0,
      utilization: Number.isFinite(utilization) ? utilization : 0,
      blockedCount: blocked.count - this.#blocked.count,
      blockedMs: blocked.totalMs - this.#blocked.totalMs,
      tasksPending: pendingTaskCount(),
      eventsDropped: dropped - this.#dropped,
    };
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
    this.#delays.stop();
  }
}
