/**
 * GC pauses: tracked from a PerformanceObserver, summed over an interval for the watchdog,
 * and recorded (the longer ones) by the flight recorder. Entries arrive after the
 * collection: a `setImmediate` queued from a `setImmediate` after it sees them (gc.ts).
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  gcPausesBetween,
  recorderWindow,
  startRecorder,
  stopRecorder,
  trackGcPauses,
} from "../../src/recorder/index.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as (options?: { type: string }) => void;

/** Two turns of the check phase: by then the observer has been told (see gc.ts). */
function afterGcEntries(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

describe("GC pauses", () => {
  afterEach(stopRecorder);

  it("are summed over an interval, each clipped to it", async () => {
    const stop = trackGcPauses();
    try {
      const from = performance.now();
      gc();
      gc();
      const to = performance.now();
      await afterGcEntries();
      const pauses = gcPausesBetween(from, to);
      assert.ok(pauses.count >= 2, `at least the two collections asked for, got ${pauses.count}`);
      assert.ok(pauses.ms > 0 && pauses.ms <= to - from, `${pauses.ms} ms in ${to - from} ms`);
      assert.equal(pauses.complete, true);
      // An interval before any of them holds none of them.
      assert.equal(gcPausesBetween(from - 1e6, from - 1e6 + 1).count, 0);
    } finally {
      stop();
    }
  });

  it("are not complete while nobody tracks them", () => {
    const now = performance.now();
    assert.equal(gcPausesBetween(now - 10, now).complete, false);
  });

  it("at least minGcMs long are flight-recorder entries, with their kind", async () => {
    startRecorder({ minGcMs: 0 });
    gc();
    gc({ type: "minor" });
    await afterGcEntries();
    const kinds = recorderWindow()!
      .entries.filter((entry) => entry.kind === "gc")
      .map((entry) => entry.detail);
    assert.ok(kinds.includes("major"), `a major collection among ${kinds.join(", ")}`);
    assert.ok(kinds.includes("minor"), `a minor collection among ${kinds.join(", ")}`);
  });
});
