import type { BatchObservableCallback, MeterProvider, Observable } from "@opentelemetry/api";
import { OTEL_NAMES } from "./names.js";
import type { LoopMetricsSample } from "./sample.js";

/** Loop metrics published through an OpenTelemetry meter. */
export interface OpenTelemetryExporter {
  /** Record a finished interval (the observable callbacks report it at the next collection). */
  update(sample: LoopMetricsSample): void;
  unregister(): void;
}

const METER_NAME = "loopscope";

/**
 * Register observable instruments on a meter from `meterProvider`. Type-only use of
 * `@opentelemetry/api`: loopscope does not load it; the application passes its provider.
 * Gauges report the last finished interval; counters the totals accumulated from the
 * intervals, as OpenTelemetry's cumulative temporality expects.
 */
export function registerOpenTelemetryMetrics(meterProvider: MeterProvider): OpenTelemetryExporter {
  const meter = meterProvider.getMeter(METER_NAME);
  const n = OTEL_NAMES;
  const gauge = (name: string, description: string, unit: string) =>
    meter.createObservableGauge(name, { description, unit });
  const counter = (name: string, description: string, unit: string) =>
    meter.createObservableCounter(name, { description, unit });
  const delayP50 = gauge(
    n.delayP50,
    "Event loop delay, 50th percentile over the last interval.",
    "s",
  );
  const delayP90 = gauge(
    n.delayP90,
    "Event loop delay, 90th percentile over the last interval.",
    "s",
  );
  const delayP99 = gauge(
    n.delayP99,
    "Event loop delay, 99th percentile over the last interval.",
    "s",
  );
  const delayMax = gauge(n.delayMax, "Event loop delay, maximum over the last interval.", "s");
  const utilization = gauge(n.utilization, "Event loop utilisation over the last interval.", "1");
  const blockedCount = counter(
    n.blockedCount,
    "Times the event loop was blocked for at least the threshold.",
    "{block}",
  );
  const blockedTime = counter(
    n.blockedTime,
    "Time the event loop spent blocked for at least the threshold.",
    "s",
  );
  const tasksPending = gauge(
    n.tasksPending,
    "loopscope tasks pending at the end of the last interval.",
    "{task}",
  );
  const eventsDropped = counter(
    n.eventsDropped,
    "loopscope diagnostic events dropped by bounded queues.",
    "{event}",
  );
  const observables: Observable[] = [
    delayP50,
    delayP90,
    delayP99,
    delayMax,
    utilization,
    blockedCount,
    blockedTime,
    tasksPending,
    eventsDropped,
  ];
  let latest: LoopMetricsSample | undefined;
  const totals = { blocked: 0, blockedSeconds: 0, dropped: 0 };
  const callback: BatchObservableCallback = (result) => {
    if (latest === undefined) return;
    result.observe(delayP50, latest.delayP50Ms / 1000);
    result.observe(delayP90, latest.delayP90Ms / 1000);
    result.observe(delayP99, latest.delayP99Ms / 1000);
    result.observe(delayMax, latest.delayMaxMs / 1000);
    result.observe(utilization, latest.utilization);
    result.observe(blockedCount, totals.blocked);
    result.observe(blockedTime, totals.blockedSeconds);
    if (latest.tasksPending !== undefined) result.observe(tasksPending, latest.tasksPending);
    result.observe(eventsDropped, totals.dropped);
  };
  meter.addBatchObservableCallback(callback, observables);
  return {
    update(sample) {
      latest = sample;
      totals.blocked += sample.blockedCount;
      totals.blockedSeconds += sample.blockedMs / 1000;
      totals.dropped += sample.eventsDropped;
    },
    unregister() {
      meter.removeBatchObservableCallback(callback, observables);
    },
  };
}
