/**
 * Idle mode's resume window: the resume beats that end the main thread's waits are judged
 * together over a few beat intervals, so callbacks that come close together but add up to
 * little keep idle mode, and callbacks that add up leave it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ResumeWindow } from "../../src/watchdog/heartbeat.js";

const MS = 1_000_000n;

describe("the resume window", () => {
  it("keeps idle mode for a short callback after a long wait", () => {
    const window = new ResumeWindow(100);
    assert.equal(window.judge(0n, 10_000n * MS, 3), true);
  });

  it("keeps idle mode for short callbacks a few milliseconds apart that add up to little", () => {
    const window = new ResumeWindow(100);
    // Each alone is 1 ms busy in a 3 ms gap (a third of it); over the window, 4 ms in 100.
    assert.equal(window.judge(0n, 3n * MS, 1), true);
    assert.equal(window.judge(3n * MS, 6n * MS, 1), true);
    assert.equal(window.judge(6n * MS, 9n * MS, 1), true);
    assert.equal(window.judge(9n * MS, 12n * MS, 1), true);
  });

  it("leaves idle mode once the callbacks inside the window add up to more than 5 %", () => {
    const window = new ResumeWindow(100);
    const verdicts: boolean[] = [];
    for (let at = 10n; at <= 100n; at += 10n) verdicts.push(window.judge(at - 10n, at * MS, 1));
    assert.deepEqual(verdicts.slice(0, 5), [true, true, true, true, true]);
    assert.equal(verdicts[5], false, `verdicts ${verdicts.join()}`);
  });

  it("leaves idle mode for one long callback", () => {
    const window = new ResumeWindow(100);
    assert.equal(window.judge(0n, 2_000n * MS, 500), false);
  });

  it("starts afresh once the window has passed, and after a reset", () => {
    const window = new ResumeWindow(100);
    assert.equal(window.judge(0n, 50n * MS, 4), true);
    // 200 ms later: the 4 ms belong to a window that has passed.
    assert.equal(window.judge(50n * MS, 250n * MS, 4), true);
    // A window from the last beat on: 4 + 2 ms in 100.
    assert.equal(window.judge(250n * MS, 260n * MS, 4), true);
    assert.equal(window.judge(260n * MS, 270n * MS, 2), false);
    window.reset();
    assert.equal(window.judge(270n * MS, 280n * MS, 2), true);
  });
});
