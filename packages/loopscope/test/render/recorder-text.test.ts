import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RecorderWindow } from "../../src/protocol/index.js";
import { renderRecorder, renderRecorderSummary } from "../../src/render/index.js";

const until = Date.UTC(2026, 0, 2, 3, 4, 5);
const task = { id: 17, name: "handle cattle-ab12", createdAt: [] };
const window: RecorderWindow = {
  from: until - 10_000,
  until,
  entries: [
    { time: until - 2_400, kind: "gc", durationMs: 12.3, detail: "major" },
    ...Array.from({ length: 12 }, (_, i) => ({
      time: until - 2_000 + i,
      kind: "task-start" as const,
      task: { id: 100 + i, name: `save m${i}`, createdAt: [] },
    })),
    { time: until - 320, kind: "task-start", task },
    { time: until - 300, kind: "task-cancel", task, detail: "AbortError: shutting down" },
    { time: until - 10, kind: "task-end", task, detail: "failed" },
    { time: until, kind: "loop-blocked", durationMs: 250, detail: "javascript" },
  ],
  omitted: 3,
  dropped: 86_000,
  startsLastSecond: {
    count: 9_812,
    seen: 3_584,
    names: [
      { name: "handle", count: 1_792 },
      { name: "save", count: 1_700 },
    ],
  },
};

describe("renderRecorderSummary", () => {
  it("says how many tasks started in the last second, then the last ten entries", () => {
    const lines = renderRecorderSummary(window).split("\n");
    assert.equal(
      lines[0],
      "tasks started in the last second: 9812 (of the last 3584 recorded: handle 1792, save 1700)",
    );
    assert.equal(
      lines[1],
      "the last 10 of 20 entries in 10.0 s (3 omitted, 86000 dropped by the recorder's bounds):",
    );
    assert.equal(lines.length, 12);
    assert.equal(lines[8], '   -0.32 s  task-start    task 17 "handle cattle-ab12"');
    assert.equal(
      lines[9],
      '   -0.30 s  task-cancel   task 17 "handle cattle-ab12": AbortError: shutting down',
    );
    assert.equal(lines[11], "   -0.00 s  loop-blocked  javascript, 250 ms");
  });

  it("says when nothing was recorded", () => {
    assert.equal(
      renderRecorderSummary({ from: until - 10_000, until, entries: [], omitted: 0, dropped: 0 }),
      "no task started in the last second\nnothing recorded in the last 10.0 s",
    );
  });
});

describe("renderRecorder", () => {
  it("lists every entry under a header", () => {
    const text = renderRecorder(window);
    const lines = text.split("\n");
    assert.equal(
      lines[0],
      "loopscope flight recorder: 10.0 s up to 2026-01-02T03:04:05.000Z, 20 entries (3 omitted, 86000 dropped by the recorder's bounds)",
    );
    assert.equal(lines.length, 3 + window.entries.length);
    assert.match(lines[3]!, /^\s+-2\.40 s {2}gc\s+major, 12 ms$/);
    assert.ok(!text.endsWith("\n"));
  });
});
