import assert from "node:assert/strict";
import { describe, it } from "node:test";
import FakeTimers from "@sinonjs/fake-timers";
import type { CoalescedReport } from "../../src/watchdog/coalesce.js";
import { BlockCoalescer, siteKey } from "../../src/watchdog/coalesce.js";
import type { Frame } from "../../src/protocol/index.js";

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
      coalescer.add({ durationMs: 120, cause: "javascript", evidence: {}, stack: here });
      coalescer.add({ durationMs: 150, cause: "javascript", evidence: {}, stack: here });
      coalescer.add({ durationMs: 130, cause: "javascript", evidence: {}, stack: here });
      coalescer.add({ durationMs: 200, cause: "javascript", evidence: {}, stack: there });
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
      coalescer.add({ durationMs: 120, cause: "javascript", evidence: {}, stack: here });
      clock.tick(1_500);
      coalescer.add({ durationMs: 120, cause: "javascript", evidence: {}, stack: here });
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
    coalescer.add({ durationMs: 120, cause: "javascript", evidence: {}, stack: here });
    coalescer.add({ durationMs: 120, cause: "javascript", evidence: {}, stack: here });
    coalescer.stop();
    assert.deepEqual(
      reports.map((r) => r.count),
      [1, 1],
    );
  });

  it("remembers a bounded number of places, reporting what it forgets", () => {
    const { reports, coalescer } = collect(60_000, 2);
    const sites = [1, 2, 3].map((n) => [frame(`f${n}`, n)]);
    coalescer.add({ durationMs: 100, cause: "javascript", evidence: {}, stack: sites[0]! });
    coalescer.add({ durationMs: 100, cause: "javascript", evidence: {}, stack: sites[0]! }); // pending at f1
    coalescer.add({ durationMs: 100, cause: "javascript", evidence: {}, stack: sites[1]! });
    coalescer.add({ durationMs: 100, cause: "javascript", evidence: {}, stack: sites[2]! }); // evicts f1, reporting its repeat
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

  // Mayhem's busy line, `while (performance.now() < until) spins++;`, interrupted at the
  // loop (col 3), inside the call (col 22) or inside Node's performance getter.
  const busyLine = (col: number): Frame => ({
    fn: "blockTheLoop",
    file: "/app/inject.ts",
    line: 120,
    col,
  });
  const nodeFrame = (fn: string, line: number): Frame => ({
    fn,
    file: "node:internal/perf/utils",
    line,
    col: 17,
    internal: true,
  });
  const callers = (callerLine: number): Frame[] => [
    { fn: "Object.save", file: "/app/inject.ts", line: 101, col: 27 },
    { fn: "saveOutcome", file: "/app/handler.ts", line: callerLine, col: 26 },
  ];
  const sameLine: Frame[][] = [
    [busyLine(3), ...callers(138)],
    [nodeFrame("now", 34), busyLine(22), ...callers(138)],
    [nodeFrame("get performance", 645), busyLine(22), ...callers(138)],
    [busyLine(9), ...callers(140)],
    [
      nodeFrame("now", 34),
      { fn: "loopscope.hook", file: "/x/loopscope/dist/a.js", line: 1, col: 1, loopscope: true },
      busyLine(22),
      ...callers(138),
    ],
  ];

  it("keys on the innermost application frame's line, whatever the column and the frames above", () => {
    const keys = new Set(sameLine.map(siteKey));
    assert.equal(keys.size, 1, [...keys].join(" | "));
    assert.notEqual(siteKey([{ ...busyLine(3), line: 121 }]), siteKey([busyLine(3)]));
    assert.notEqual(siteKey([{ ...busyLine(3), file: "/app/other.ts" }]), siteKey([busyLine(3)]));
  });

  it("coalesces identical blocks at one line into one report and one count", () => {
    const { reports, coalescer } = collect(60_000);
    for (let i = 0; i < 12; i++) {
      coalescer.add({
        durationMs: 300 + i,
        cause: "javascript",
        evidence: {},
        stack: sameLine[i % sameLine.length]!,
      });
    }
    coalescer.stop();
    assert.deepEqual(
      reports.map((r) => r.count),
      [1, 11],
    );
    assert.equal(reports[1]!.durationMs, 311, "the longest of the repeats");
  });

  it("keys a stack without an application frame on its innermost frames, apart from any application frame", () => {
    const timers = [nodeFrame("listOnTimeout", 581), nodeFrame("processTimers", 519)];
    assert.equal(siteKey(timers), siteKey([{ ...timers[0]!, col: 99 }, timers[1]!]));
    assert.notEqual(siteKey(timers), siteKey([nodeFrame("other", 1), ...timers]));
    assert.notEqual(siteKey(timers), siteKey([]));
    assert.notEqual(siteKey(timers), siteKey([...timers, busyLine(3)]));
  });
});
