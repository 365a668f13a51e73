import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { install, type Clock as InstalledClock } from "@sinonjs/fake-timers";
import { Latch, timerSleeper, yieldSleeper } from "../../src/service/index.js";

describe("Sleeper.sleepOrWake", () => {
  describe("timerSleeper", () => {
    let clock: InstalledClock;
    beforeEach(() => {
      clock = install({ toFake: ["setTimeout", "clearTimeout"] });
    });
    afterEach(() => clock.uninstall());

    it("resolves after the delay", async () => {
      let done = false;
      void timerSleeper.sleepOrWake(100).then(() => (done = true));
      await clock.tickAsync(99);
      assert.equal(done, false);
      await clock.tickAsync(1);
      assert.equal(done, true);
    });

    it("resolves, without rejecting, as soon as the signal aborts, and clears its timer", async () => {
      const latch = new Latch();
      let done = false;
      void timerSleeper.sleepOrWake(60_000, latch).then(() => (done = true));
      await clock.tickAsync(10);
      latch.abort(new Error("stop"));
      await clock.tickAsync(0);
      assert.equal(done, true);
      assert.equal(clock.countTimers(), 0, "no timer left behind");
    });

    it("resolves at once when the signal has already aborted", async () => {
      const controller = new AbortController();
      controller.abort();
      await timerSleeper.sleepOrWake(60_000, controller.signal);
      assert.equal(clock.countTimers(), 0);
    });
  });

  describe("yieldSleeper", () => {
    it("hands every caller of a turn the same promise, resolved after the turn's other callbacks", async () => {
      const order: string[] = [];
      setImmediate(() => order.push("immediate queued before"));
      const first = yieldSleeper.sleepOrWake(1000);
      const second = yieldSleeper.sleepOrWake(5, new Latch());
      assert.equal(first, second, "one promise per turn");
      await first;
      order.push("after sleepOrWake");
      assert.deepEqual(order, ["immediate queued before", "after sleepOrWake"]);
      assert.notEqual(yieldSleeper.sleepOrWake(0), first, "the next turn has its own promise");
    });

    it("lets the caller read an abort that happened during the turn", async () => {
      const latch = new Latch();
      const waiting = yieldSleeper.sleepOrWake(0, latch);
      latch.abort(new Error("done"));
      await waiting;
      assert.equal(latch.aborted, true);
    });

    it("sleep still rejects with the signal's reason", async () => {
      const latch = new Latch();
      const reason = new Error("stop");
      const sleeping = yieldSleeper.sleep(0, latch);
      latch.abort(reason);
      await assert.rejects(sleeping, (error) => error === reason);
    });
  });
});

describe("Sleeper.sleep (timerSleeper)", () => {
  let clock: InstalledClock;
  beforeEach(() => {
    clock = install({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => clock.uninstall());

  it("resolves after the delay when the signal never aborts", async () => {
    let done = false;
    void timerSleeper.sleep(100, new AbortController().signal).then(() => (done = true));
    await clock.tickAsync(99);
    assert.equal(done, false);
    await clock.tickAsync(1);
    assert.equal(done, true);
  });

  it("rejects with the signal's reason as soon as it aborts, and clears its timer", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    const sleeping = timerSleeper.sleep(60_000, controller.signal);
    await clock.tickAsync(10);
    controller.abort(reason);
    await assert.rejects(sleeping, (error) => error === reason);
    assert.equal(clock.countTimers(), 0, "no timer left behind");
  });

  it("rejects at once when the signal has already aborted", async () => {
    const reason = new Error("already");
    await assert.rejects(
      timerSleeper.sleep(60_000, AbortSignal.abort(reason)),
      (error) => error === reason,
    );
    assert.equal(clock.countTimers(), 0);
  });
});
