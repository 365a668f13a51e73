import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DELAY_RESOLUTION_MS,
  LoopMetricsCollector,
  type DelayHistogram,
} from "../../src/metrics/collector.js";

/** A histogram holding fixed times between ticks, in nanoseconds, by percentile. */
function fixedHistogram(byPercentile: Record<number, number>, max: number): DelayHistogram {
  return {
    count: 100,
    max,
    percentile: (p: number) => byPercentile[p] ?? 0,
    reset: () => undefined,
    enable: () => true,
    disable: () => true,
  };
}

describe("LoopMetricsCollector", () => {
  it("reports how late the delay timer ticked, not the time between its ticks", () => {
    const ms = 1e6;
    const tick = DELAY_RESOLUTION_MS * ms;
    const collector = new LoopMetricsCollector(
      60_000,
      () => undefined,
      // An idle loop ticks on time; the p99 tick came 5 ms late; one came 250 ms late.
      fixedHistogram({ 50: tick, 90: tick + 0.5 * ms, 99: tick + 5 * ms }, tick + 250 * ms),
    );
    try {
      const sample = collector.collect();
      assert.equal(sample.delayP50Ms, 0);
      assert.equal(sample.delayP90Ms, 0.5);
      assert.equal(sample.delayP99Ms, 5);
      assert.equal(sample.delayMaxMs, 250);
    } finally {
      collector.stop();
    }
  });
});
