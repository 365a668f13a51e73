import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Frame, TaskRef } from "../../src/protocol/index.js";
import {
  answeredWhenReleased,
  describeCapture,
  PROMPT_CAPTURE_MS,
} from "../../src/watchdog/attribution.js";

const app = (fn: string, line: number): Frame => ({ fn, file: "/app/server.js", line, col: 5 });
const internal = (fn: string, line: number): Frame => ({
  fn,
  file: "node:internal/timers",
  line,
  col: 7,
  internal: true,
});
const task: TaskRef = { id: 7, name: "handle cattle-ab12", createdAt: [] };

describe("judging when a capture ran", () => {
  it("takes a capture as taken inside JavaScript when the block went on after it, however late it came", () => {
    // A loaded machine delays a capture taken inside a busy loop by tens of milliseconds;
    // the loop keeps blocking afterwards, so the thread was not held by a native call.
    for (const latencyMs of [11, 25, 80]) {
      assert.equal(answeredWhenReleased({ latencyMs, wentOnMs: 200 }), false, `${latencyMs} ms`);
    }
  });

  it("takes a capture as answered when a native call returned when the loop turned right after it", () => {
    assert.equal(answeredWhenReleased({ latencyMs: 214, wentOnMs: 0.4 }), true);
    assert.equal(answeredWhenReleased({ latencyMs: 214, wentOnMs: 30 }), true);
  });

  it("never takes a prompt capture as late, even when the block ended right after it", () => {
    assert.equal(answeredWhenReleased({ latencyMs: PROMPT_CAPTURE_MS, wentOnMs: 0.1 }), false);
    assert.equal(answeredWhenReleased({ latencyMs: 1, wentOnMs: 0 }), false);
  });
});

describe("describeCapture", () => {
  const busy = [app("busyLoop", 17), app("handle", 40)];

  it("reports a capture taken while the block went on as it is, without a note", () => {
    const report = describeCapture(320, { stack: busy, task, latencyMs: 25, wentOnMs: 190 });
    assert.deepEqual(report, { durationMs: 320, stack: busy, task });
  });

  it("names the calling line of a native call, saying the capture came when it returned", () => {
    const stack = [internal("readFileSync", 450), app("readBigFile", 25)];
    const report = describeCapture(300, { stack, task, latencyMs: 214, wentOnMs: 1 });
    assert.deepEqual(report.stack, stack);
    assert.equal(report.task, task);
    assert.match(report.note ?? "", /^stack captured 214 ms after the block was detected/);
    assert.match(report.note ?? "", /native call/);
    assert.match(report.note ?? "", /calling line/);
  });

  it("attributes nothing when a late capture has no application frame (a JSON.parse in a timer)", () => {
    const stack = [internal("listOnTimeout", 581), internal("processTimers", 519)];
    const report = describeCapture(700, { stack, task, latencyMs: 590, wentOnMs: 1 });
    assert.deepEqual(report.stack, []);
    assert.equal(report.task, undefined, "the task that ran next is not blamed");
    assert.match(report.note ?? "", /^nothing could be attributed during the block/);
    assert.match(report.note ?? "", /listOnTimeout/);
    assert.doesNotMatch(report.note ?? "", /calling line/);
  });

  it("keeps Node-internal frames captured while the block went on: they are what blocked", () => {
    const stack = [internal("compileFunction", 100), internal("loadModule", 200)];
    const report = describeCapture(150, { stack, task: undefined, latencyMs: 1, wentOnMs: 40 });
    assert.deepEqual(report, { durationMs: 150, stack });
  });

  it("says so when the thread was outside JavaScript", () => {
    const report = describeCapture(150, {
      stack: [],
      task: undefined,
      latencyMs: 1,
      wentOnMs: 40,
    });
    assert.deepEqual(report.stack, []);
    assert.match(report.note ?? "", /^nothing could be captured during the block/);
  });
});
