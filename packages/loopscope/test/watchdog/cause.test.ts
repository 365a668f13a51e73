import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Frame, LoopBlockedEvent } from "../../src/protocol/index.js";
import { renderEvent } from "../../src/render/index.js";
import type { StallCapture, StallFacts } from "../../src/watchdog/cause.js";
import { classifyStall, hostPaused } from "../../src/watchdog/cause.js";

const app = (fn: string, line: number): Frame => ({ fn, file: "/app/server.js", line, col: 5 });

/** A capture taken inside running JavaScript: prompt, and the stall went on after it. */
const prompt = (asyncId: number, frame: Frame): StallCapture => ({
  stack: [frame],
  task: undefined,
  latencyMs: 1,
  wentOnMs: 150,
  asyncId,
});

const facts = (overrides: Partial<StallFacts>): StallFacts => ({
  heldMs: 300,
  captures: [],
  ...overrides,
});

describe("the cause of a stall", () => {
  it("blames JavaScript at its line when every capture ran in one callback", () => {
    const spin = app("spin", 12);
    const report = classifyStall(
      facts({ captures: [prompt(9, spin), prompt(9, spin)], cpuMs: 298 }),
    );
    assert.equal(report.cause, "javascript");
    assert.deepEqual(report.stack, [spin]);
    assert.equal(report.evidence.callbacks, 1);
    assert.equal(report.evidence.captures, 2);
    assert.equal(report.evidence.cpuMs, 298);
  });

  it("blames the one long callback when another was captured only as it ended", () => {
    // In idle mode the beat that ends a stall can come a few callbacks after it: a capture
    // asked for while the long one ran may run in the next.
    const spin = app("spin", 12);
    const next = app("next", 40);
    const captures = [prompt(9, spin), prompt(9, spin), prompt(9, spin), prompt(10, next)];
    const report = classifyStall(facts({ captures }));
    assert.equal(report.cause, "javascript");
    assert.deepEqual(report.stack, [spin]);
    assert.equal(report.evidence.callbacks, 2);
  });

  it("counts the callbacks of a turn of many short ones and blames none of them as the block", () => {
    const tick = app("tick", 30);
    const other = app("other", 44);
    const captures = [prompt(11, tick), prompt(12, tick), prompt(13, other), prompt(14, tick)];
    const report = classifyStall(facts({ captures }));
    assert.equal(report.cause, "many-callbacks");
    assert.equal(report.evidence.callbacks, 4);
    assert.deepEqual(
      report.evidence.functions?.map((f) => [f.frame.fn, f.seen]),
      [
        ["tick", 3],
        ["other", 1],
      ],
    );
    const text = renderEvent(event(report));
    assert.match(
      text,
      /stalled for 300 ms by many short callbacks in one turn \(at least 4\), none of them long/,
    );
    assert.match(
      text,
      /callbacks seen most:\n {4}tick \(\/app\/server\.js:30:5\) \(3 of 4 captures\)/,
    );
    assert.doesNotMatch(text, /blocked for .* by JavaScript/);
  });

  it("names the native call and its line when the call was seen returning", () => {
    const caller = app("handle", 7);
    const report = classifyStall(
      facts({
        captures: [{ ...prompt(3, app("handle", 8)), latencyMs: 200, wentOnMs: 1 }],
        nativeCall: {
          call: "JSON.parse",
          stack: [caller],
          task: undefined,
          returnedBeforeEndMs: 1,
        },
      }),
    );
    assert.equal(report.cause, "native-call");
    assert.equal(report.evidence.nativeCall, "JSON.parse");
    assert.deepEqual(report.stack, [caller]);
    assert.match(
      renderEvent(event(report)),
      /by a native call, JSON\.parse\n {2}evidence: .*\n {2}called at:\n {4}at handle \(\/app\/server\.js:7:5\)/,
    );
  });

  it("falls back to the late capture for a native call nobody saw return", () => {
    const after = app("handle", 8);
    const report = classifyStall(
      facts({ captures: [{ ...prompt(3, after), latencyMs: 200, wentOnMs: 1 }] }),
    );
    assert.equal(report.cause, "native-call");
    assert.match(report.note ?? "", /calling line \(or the line just after it\)/);
  });

  it("blames garbage collection when it took most of the stall, and says the stack only allocated", () => {
    const report = classifyStall(facts({ captures: [prompt(5, app("build", 3))], gcMs: 240 }));
    assert.equal(report.cause, "gc");
    assert.equal(report.evidence.gcMs, 240);
    assert.match(
      renderEvent(event(report)),
      /blocked for 300 ms by garbage collection \(240 ms collecting\)/,
    );
  });

  it("reports a pause of the whole process without blaming a line", () => {
    const report = classifyStall(facts({ captures: [prompt(5, app("spin", 3))], pausedMs: 280 }));
    assert.equal(report.cause, "host-paused");
    assert.deepEqual(report.stack, []);
    assert.equal(report.evidence.pausedMs, 280);
    assert.match(renderEvent(event(report)), /process paused for 300 ms: not running/);
  });

  it("reports a pause inside a busy block apart from the block", () => {
    const spin = app("spin", 3);
    const report = classifyStall(
      facts({ heldMs: 2600, captures: [prompt(5, spin), prompt(5, spin)], pausedMs: 600 }),
    );
    assert.equal(report.cause, "javascript");
    assert.equal(report.durationMs, 2000);
    assert.equal(report.evidence.pausedMs, 600);
    assert.match(
      renderEvent(event(report)),
      /also not running for 600 ms during it, not counted above/,
    );
  });

  it("reports a pause as the stall when the main thread ran no code of the application's around it", () => {
    // An idle process stopped: the stop interrupts the loop's wait, libuv forgets its idle
    // time, and the loop reads as held since the watchdog thread last looked at it.
    const between: Frame = {
      fn: "restoreActiveHooks",
      file: "node:internal/async_hooks",
      line: 308,
      col: 28,
      internal: true,
    };
    const waited = facts({
      heldMs: 887,
      pausedMs: 322,
      cpuMs: 2.9,
      captures: [prompt(7, between), prompt(8, between)],
    });
    const report = classifyStall(waited);
    assert.equal(report.cause, "host-paused");
    assert.deepEqual(report.stack, []);
    assert.equal(report.evidence.pausedMs, 322);
    assert.match(report.note ?? "", /not running for 322 ms of it.*ran 3 ms of CPU/);

    // The same stall with the application's code captured, or the thread busy, is the code's.
    const inApplication = classifyStall({ ...waited, captures: [prompt(7, app("spin", 3))] });
    assert.equal(inApplication.cause, "javascript");
    assert.equal(inApplication.durationMs, 565);
    const busy = classifyStall({ ...waited, cpuMs: 500 });
    assert.notEqual(busy.cause, "host-paused");
  });

  it("says unknown when nothing was captured", () => {
    const report = classifyStall(facts({ noCaptureReason: "the inspector is open" }));
    assert.equal(report.cause, "unknown");
    assert.deepEqual(report.stack, []);
    assert.match(report.note ?? "", /the inspector is open/);
  });

  it("reports an idle process's pause as its own", () => {
    const report = hostPaused(612, { pausedMs: 612 });
    assert.equal(report.cause, "host-paused");
    assert.deepEqual(report.stack, []);
  });
});

function event(report: ReturnType<typeof classifyStall>): LoopBlockedEvent {
  return { type: "loop-blocked", protocol: 1, time: 0, pid: 1, count: 1, ...report };
}
