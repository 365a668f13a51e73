import assert from "node:assert/strict";
import { createHistogram } from "node:perf_hooks";
import { describe, it } from "node:test";
import {
  DELAY_RESOLUTION_MS,
  HeartbeatDelaySource,
  LoopMetricsCollector,
  delayFigures,
  type DelayHistogram,
  type LoopDelaySource,
} from "../../src/metrics/collector.js";
import { recordLoopDelay, startWatchdog } from "../../src/watchdog/index.js";

const ms = 1e6;

/** A histogram holding fixed nanoseconds, by percentile. */
function fixedHistogram(byPercentile: Record<number, number>, max: number): DelayHistogram {
  return {
    count: 100,
    max,
    percentile: (p: number) => byPercentile[p] ?? 0,
    reset: () => undefined,
  };
}

describe("LoopMetricsCollector", () => {
  it("reports the delay source's figures per interval, and 0 for an interval with none", () => {
    const figures = [{ p50Ms: 0.2, p90Ms: 0.5, p99Ms: 5, maxMs: 250 }, undefined];
    let stopped = false;
    const source: LoopDelaySource = {
      take: () => figures.shift(),
      stop: () => (stopped = true),
    };
    const collector = new LoopMetricsCollector(60_000, () => undefined, source);
    try {
      const busy = collector.collect();
      assert.deepEqual(
        [busy.delayP50Ms, busy.delayP90Ms, busy.delayP99Ms, busy.delayMaxMs],
        [0.2, 0.5, 5, 250],
      );
      // An idle interval: the heartbeat did not beat, nothing was late.
      const idle = collector.collect();
      assert.deepEqual(
        [idle.delayP50Ms, idle.delayP90Ms, idle.delayP99Ms, idle.delayMaxMs],
        [0, 0, 0, 0],
      );
    } finally {
      collector.stop();
    }
    assert.equal(stopped, true);
  });
});

describe("delay figures", () => {
  it("are the heartbeat's lateness as recorded, in milliseconds", () => {
    const figures = delayFigures(
      fixedHistogram({ 50: 0.1 * ms, 90: 0.5 * ms, 99: 5 * ms }, 250 * ms),
    );
    assert.deepEqual(figures, { p50Ms: 0.1, p90Ms: 0.5, p99Ms: 5, maxMs: 250 });
  });

  it("less the fallback timer's resolution: how late it ticked, not the time between its ticks", () => {
    const tick = DELAY_RESOLUTION_MS * ms;
    const figures = delayFigures(
      // An idle loop ticks on time; the p99 tick came 5 ms late; one came 250 ms late.
      fixedHistogram({ 50: tick, 90: tick + 0.5 * ms, 99: tick + 5 * ms }, tick + 250 * ms),
      DELAY_RESOLUTION_MS,
    );
    assert.deepEqual(figures, { p50Ms: 0, p90Ms: 0.5, p99Ms: 5, maxMs: 250 });
  });

  it("are none for an empty histogram", () => {
    assert.equal(delayFigures(createHistogram()), undefined);
  });
});

describe("the heartbeat's delay", () => {
  function busy(forMs: number): void {
    const end = Date.now() + forMs;
    while (Date.now() < end);
  }

  it("is recorded beat by beat into every histogram registered, until unregistered", async () => {
    const watchdog = startWatchdog({ slowMs: 40 });
    const histogram = createHistogram();
    const stopRecording = recordLoopDelay(histogram);
    try {
      await new Promise((resolve) => setTimeout(resolve, 60));
      // Beats are due every 10 ms: one comes late by most of this block (or, in idle
      // mode, the beat that ends it records the time the loop was held).
      busy(80);
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.ok(histogram.count >= 1, `count ${histogram.count}`);
      assert.ok(histogram.max >= 40 * ms, `max ${histogram.max / ms} ms after an 80 ms block`);
      stopRecording();
      const count = histogram.count;
      busy(30);
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(histogram.count, count);
    } finally {
      stopRecording();
      await watchdog.stop();
    }
  });

  it("is the source while a watchdog runs; monitorEventLoopDelay's otherwise", async () => {
    // No watchdog: the fallback monitor samples (its first figures come after its ticks).
    const alone = new HeartbeatDelaySource();
    try {
      await new Promise((resolve) => setTimeout(resolve, 80));
      busy(60);
      await new Promise((resolve) => setTimeout(resolve, 40));
      const figures = alone.take();
      assert.ok(figures !== undefined && figures.maxMs >= 20, JSON.stringify(figures));
    } finally {
      alone.stop();
    }
    const watchdog = startWatchdog({ slowMs: 40 });
    const withWatchdog = new HeartbeatDelaySource();
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      busy(60);
      await new Promise((resolve) => setTimeout(resolve, 30));
      const figures = withWatchdog.take();
      assert.ok(figures !== undefined && figures.maxMs >= 20, JSON.stringify(figures));
    } finally {
      withWatchdog.stop();
      await watchdog.stop();
    }
  });
});
