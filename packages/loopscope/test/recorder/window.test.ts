/**
 * The recorder's windows, in this process: bounded by entries and by bytes (of the JSON),
 * the rest counted in `omitted`; blocks, GC pauses, rejections and blocking calls kept before
 * a flood of task entries; fed by the registry and by the event stream.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { emit } from "../../src/events/index.js";
import type {
  BlockingCallEvent,
  LoopBlockedEvent,
  RecorderWindow,
} from "../../src/protocol/index.js";
import { PROTOCOL_VERSION } from "../../src/protocol/index.js";
import {
  recordTaskStart,
  recorderStats,
  recorderWindow,
  startRecorder,
  stopRecorder,
  wholeRecorderWindow,
} from "../../src/recorder/index.js";
import { spawn } from "../../src/tasks/index.js";

function jsonBytes(window: RecorderWindow): number {
  return Buffer.byteLength(JSON.stringify(window));
}

function blockingCall(call: string): BlockingCallEvent {
  return {
    type: "blocking-call",
    protocol: PROTOCOL_VERSION,
    time: Date.now(),
    pid: process.pid,
    call,
    durationMs: 3,
    stack: [],
    count: 1,
  };
}

describe("recorder windows", () => {
  afterEach(stopRecorder);

  it("are undefined while the recorder is off", () => {
    assert.equal(recorderWindow(), undefined);
    assert.equal(wholeRecorderWindow(), undefined);
    assert.equal(recorderStats(), undefined);
  });

  it("hold what the registry ran: starts, ends with their outcome, cancels", async () => {
    startRecorder();
    await spawn("save cattle-ab12", () => Promise.resolve(1)).promise;
    await assert.rejects(
      spawn("restart cattle-ab12", () => Promise.reject(new Error("no"))).promise,
    );
    const cancelled = spawn("extend cattle-ab12", (task) => {
      task.cancel(new Error("shutting down"));
      return Promise.reject(task.signal.reason as Error);
    });
    await assert.rejects(cancelled.promise);
    const entries = recorderWindow()!.entries;
    const of = (name: string) =>
      entries.filter((entry) => entry.task?.name === name).map((e) => [e.kind, e.detail]);
    assert.deepEqual(of("save cattle-ab12"), [
      ["task-start", undefined],
      ["task-end", "done"],
    ]);
    assert.deepEqual(of("restart cattle-ab12"), [
      ["task-start", undefined],
      ["task-end", "failed"],
    ]);
    assert.deepEqual(of("extend cattle-ab12"), [
      ["task-start", undefined],
      ["task-cancel", "Error: shutting down"],
      ["task-end", "cancelled"],
    ]);
  });

  it("hold the event stream's blocks and blocking calls", () => {
    startRecorder();
    const now = Date.now();
    const block = {
      type: "loop-blocked",
      protocol: PROTOCOL_VERSION,
      time: now,
      pid: process.pid,
      cause: "javascript",
      evidence: {},
      durationMs: 250,
      stack: [],
      task: { id: 3, name: "handle cattle-ab12", createdAt: [] },
      count: 2,
      endedAt: now - 5,
    } satisfies LoopBlockedEvent;
    emit(block);
    emit(blockingCall("fs.readFileSync"));
    const entries = recorderWindow()!.entries;
    const blocked = entries.find((entry) => entry.kind === "loop-blocked");
    assert.deepEqual(
      { ...blocked, time: undefined },
      {
        time: undefined,
        kind: "loop-blocked",
        task: { id: 3, name: "handle cattle-ab12", createdAt: [] },
        durationMs: 250,
        detail: "javascript ×2",
      },
    );
    assert.ok(entries.some((e) => e.kind === "blocking-call" && e.detail === "fs.readFileSync"));
  });

  it("stay within maxEntries and maxBytes, counting what they leave out", () => {
    startRecorder({ taskSampling: { oneIn: 1 } });
    const perf = performance.now();
    for (let i = 1; i <= 1_000; i++) recordTaskStart(i, `handle cattle-${i}`, perf);
    for (const limits of [
      { maxEntries: 50, maxBytes: 1_000_000 },
      { maxEntries: 1_000, maxBytes: 4_096 },
    ]) {
      const window = recorderWindow(undefined, limits)!;
      assert.ok(window.entries.length <= limits.maxEntries);
      assert.ok(jsonBytes(window) <= limits.maxBytes, `${jsonBytes(window)} > ${limits.maxBytes}`);
      assert.equal(window.entries.length + window.omitted, 1_000);
      // The newest are kept.
      assert.equal(window.entries.at(-1)?.task?.id, 1_000);
    }
  });

  it("keep blocks, GC pauses, rejections and calls before a flood of task entries", () => {
    startRecorder({ taskSampling: { oneIn: 1 } });
    emit(blockingCall("fs.statSync"));
    const perf = performance.now();
    for (let i = 1; i <= 3_000; i++) recordTaskStart(i, `handle m${i}`, perf);
    const window = recorderWindow(undefined, { maxEntries: 20, maxBytes: 65_536 })!;
    assert.equal(window.entries.length, 20);
    assert.ok(window.entries.some((entry) => entry.detail === "fs.statSync"));
    // Oldest first.
    const times = window.entries.map((entry) => entry.time);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
  });

  it("end at `until`: later entries are not in it", async () => {
    startRecorder();
    await spawn("before", () => Promise.resolve()).promise;
    const until = Date.now();
    // Past the millisecond `until` names, and the millisecond the clocks may disagree by.
    while (Date.now() <= until + 2) {
      // spin
    }
    await spawn("after", () => Promise.resolve()).promise;
    const window = recorderWindow(until)!;
    assert.equal(window.until, until);
    const names = new Set(window.entries.map((entry) => entry.task?.name));
    assert.ok(names.has("before"));
    assert.ok(!names.has("after"));
  });

  it("count the tasks started in the last second, and their commonest names", () => {
    startRecorder();
    const perf = performance.now();
    for (let i = 0; i < 30; i++) recordTaskStart(i + 1, `handle cattle-${i}`, perf);
    for (let i = 0; i < 10; i++) recordTaskStart(i + 31, `save cattle-${i}`, perf);
    const starts = recorderWindow()!.startsLastSecond!;
    assert.equal(starts.count, 40);
    assert.equal(starts.seen, 40);
    assert.deepEqual(starts.names, [
      { name: "handle", count: 30 },
      { name: "save", count: 10 },
    ]);
  });

  it("under load, record one task in oneIn, whole or not at all, and say how many they left out", async () => {
    // No refill: the first task is the bucket's, then one in 4.
    startRecorder({ taskSampling: { perSecond: 0, burst: 1, oneIn: 4 } });
    const perf = performance.now();
    let recorded = 0;
    for (let i = 1; i <= 401; i++) if (recordTaskStart(i, `handle m${i}`, perf)) recorded++;
    assert.equal(recorded, 1 + 100);
    let window = recorderWindow()!;
    assert.deepEqual(window.taskSampling, { oneIn: 4, skipped: 300 });
    // Every start is counted, recorded or not.
    assert.equal(window.startsLastSecond?.count, 401);
    assert.equal(window.startsLastSecond?.seen, 101);
    stopRecorder();

    startRecorder({ taskSampling: { perSecond: 0, burst: 1, oneIn: 1_000 } });
    await spawn("recorded", () => Promise.resolve()).promise;
    const skipped = spawn("not recorded", async (task) => {
      task.cancel();
      await Promise.resolve();
      task.signal.throwIfAborted();
    });
    await assert.rejects(skipped.promise);
    window = recorderWindow()!;
    assert.deepEqual(
      window.entries.map((entry) => `${entry.kind} ${entry.task?.name}`),
      ["task-start recorded", "task-end recorded"],
    );
  });

  it("hold everything when the whole recorder is asked for", () => {
    startRecorder({ maxEntries: 256, taskSampling: { oneIn: 1 } });
    const perf = performance.now();
    for (let i = 1; i <= 1_000; i++) recordTaskStart(i, "m", perf);
    const stats = recorderStats()!;
    const whole = wholeRecorderWindow()!;
    assert.equal(whole.entries.length, stats.entries);
    assert.equal(whole.omitted, 0);
    assert.equal(whole.dropped, stats.dropped);
    assert.ok(stats.entries <= stats.maxEntries);
    assert.ok(stats.dropped > 0);
  });
});
