import assert from "node:assert/strict";
import { describe, it } from "node:test";
import FakeTimers from "@sinonjs/fake-timers";
import type { CoalescedReport } from "../../src/watchdog/coalesce.js";
import { BlockCoalescer, siteKey } from "../../src/watchdog/coalesce.js";
import type { Frame } from "../../src/report/index.js";

const frame = (fn: string, line: number): Frame => ({ fn, file: "/app/server.js", line, col: 3 });
const here = [frame("hash", 10), frame("handle", 20)];
const there = [frame("parse", 30), frame("handle", 21)];

function collect(windowMs: number, maxSites = 10) {
  const reports: CoalescedReport[] = [];
  const coalescer = new BlockCoalescer({ windowMs, maxSites, report: (r) => reports.push(r) });
  return { reports, coalescer };
}

describe("BlockCoalescer", () => {
  it("reports the first block at a place at once and counts the repeats until the window ends", () => {
    const clock = FakeTimers.install({
      now: 1_000,
      toFake: ["setTimeout", "clearTimeout", "Date"],
    });
    try {
      const { reports, coalescer } = collect(10_000);
      coalescer.add({ durationMs: 120, stack: here });
      coalescer.add({ durationMs: 150, stack: here });
      coalescer.add({ durationMs: 130, stack: here });
      coalescer.add({ durationMs: 200, stack: there });
      assert.deepEqual(
        reports.map((r) => [r.stack[0]?.fn, r.count]),
        [
          ["hash", 1],
          ["parse", 1],
        ],
      );
      clock.tick(10_000);
      assert.equal(reports.length, 3);
      // The repeats: one report, their count, the longest of them with its duration.
      assert.equal(reports[2]!.count, 2);
      assert.equal(reports[2]!.durationMs, 150);
      coalescer.stop();
      assert.equal(clock.countTimers(), 0);
    } finally {
      clock.uninstall();
    }
  });

  it("reports at once again after a quiet window", () => {
    const clock = FakeTimers.install({
      now: 1_000,
      toFake: ["setTimeout", "clearTimeout", "Date"],
    });
    try {
      const { reports, coalescer } = collect(1_000);
      coalescer.add({ durationMs: 120, stack: here });
      clock.tick(1_500);
      coalescer.add({ durationMs: 120, stack: here });
      assert.deepEqual(
        reports.map((r) => r.count),
        [1, 1],
      );
      coalescer.stop();
    } finally {
      clock.uninstall();
    }
  });

  it("flushes pending counts at stop", () => {
    const { reports, coalescer } = collect(60_000);
    coalescer.add({ durationMs: 120, stack: here });
    coalescer.add({ durationMs: 120, stack: here });
    coalescer.stop();
    assert.deepEqual(
      reports.map((r) => r.count),
      [1, 1],
    );
  });

  it("remembers a bounded number of places, reporting what it forgets", () => {
    const { reports, coalescer } = collect(60_000, 2);
    const sites = [1, 2, 3].map((n) => [frame(`f${n}`, n)]);
    coalescer.add({ durationMs: 100, stack: sites[0]! });
    coalescer.add({ durationMs: 100, stack: sites[0]! }); // pending at f1
    coalescer.add({ durationMs: 100, stack: sites[1]! });
    coalescer.add({ durationMs: 100, stack: sites[2]! }); // evicts f1, reporting its repeat
    assert.deepEqual(
      reports.map((r) => [r.stack[0]?.fn, r.count]),
      [
        ["f1", 1],
        ["f2", 1],
        ["f1", 1],
        ["f3", 1],
      ],
    );
    coalescer.stop();
  });

  it("keys a block without a stack apart from every stack", () => {
    assert.equal(siteKey([]), "<no stack>");
    assert.notEqual(siteKey(here), siteKey(there));
  });
});
