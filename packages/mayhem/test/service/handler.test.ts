import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { install, type Clock as InstalledClock } from "@sinonjs/fake-timers";
import type { MayhemMessage } from "../../src/message/index.js";
import type { Actions, HandlerContext } from "../../src/service/index.js";
import {
  RestartFailedError,
  SaveFailedError,
  ServiceStats,
  ShutdownError,
  handleMessage,
  timerSleeper,
} from "../../src/service/index.js";
import { FakeDelivery, sampleMessage } from "../helpers/fake-delivery.js";

type Step = { ms: number; fail?: boolean };

/** Actions that follow a script: each call takes `ms` of (fake) time, then fails or not. */
class ScriptedActions implements Actions {
  readonly events: string[] = [];
  readonly restartStarts: number[] = [];
  constructor(
    private readonly clock: InstalledClock,
    private readonly saveStep: Step,
    private readonly restartSteps: Step[],
  ) {}
  async save(message: MayhemMessage, signal: AbortSignal): Promise<void> {
    this.events.push("save:start");
    await timerSleeper.sleep(this.saveStep.ms, signal);
    this.events.push("save:end");
    if (this.saveStep.fail) throw new SaveFailedError(message.instanceName);
  }
  async restartHost(message: MayhemMessage, signal: AbortSignal): Promise<void> {
    const step = this.restartSteps.shift() ?? { ms: 0 };
    this.restartStarts.push(this.clock.now);
    this.events.push("restart:start");
    await timerSleeper.sleep(step.ms, signal);
    this.events.push("restart:end");
    if (step.fail) throw new RestartFailedError(`${message.instanceName}.example.net`);
  }
}

function context(actions: Actions, overrides: Partial<HandlerContext> = {}): HandlerContext {
  return {
    actions,
    sleeper: timerSleeper,
    stats: new ServiceStats(),
    log: undefined,
    errorLog: undefined,
    extendIntervalMs: 100,
    restartRetries: 3,
    restartBackoffMs: 100,
    nackDelayMs: 250,
    ...overrides,
  };
}

describe("handleMessage", () => {
  let clock: InstalledClock;
  beforeEach(() => {
    clock = install({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  });
  afterEach(() => clock.uninstall());

  it("runs save and restart concurrently, extends the deadline while they work, then acks", async () => {
    const actions = new ScriptedActions(clock, { ms: 300 }, [{ ms: 500 }]);
    const ctx = context(actions);
    const delivery = new FakeDelivery(sampleMessage);
    const outcome = handleMessage(delivery, sampleMessage, ctx, new AbortController().signal);
    await clock.tickAsync(0);
    // Both started before either finished: concurrent, not one after the other.
    assert.deepEqual(actions.events, ["save:start", "restart:start"]);
    await clock.tickAsync(250);
    assert.equal(delivery.count("extend"), 2, "extended at 100 and 200 ms while working");
    assert.deepEqual(delivery.calls, ["extend", "extend"], "not settled while working");
    await clock.tickAsync(300);
    assert.equal(await outcome, "acked");
    assert.equal(delivery.calls.at(-1), "ack");
    assert.equal(delivery.count("ack"), 1);
    const extends_ = delivery.count("extend");
    assert.ok(extends_ >= 4, `extended every 100 ms until done (got ${extends_})`);
    await clock.tickAsync(1000);
    assert.equal(delivery.count("extend"), extends_, "no extension after the work is done");
    assert.equal(clock.countTimers(), 0, "no timer left behind");
    assert.equal(ctx.stats.saved, 1);
    assert.equal(ctx.stats.restarted, 1);
    assert.equal(ctx.stats.acked, 1);
    assert.equal(ctx.stats.extended, extends_);
  });

  it("retries RestartFailed with exponential backoff, then acks", async () => {
    const actions = new ScriptedActions(clock, { ms: 10 }, [
      { ms: 10, fail: true },
      { ms: 10, fail: true },
      { ms: 10 },
    ]);
    const ctx = context(actions);
    const delivery = new FakeDelivery(sampleMessage);
    const outcome = handleMessage(delivery, sampleMessage, ctx, new AbortController().signal);
    await clock.tickAsync(1000);
    assert.equal(await outcome, "acked");
    // Attempt k starts after the previous attempt's 10 ms plus a backoff of 100 * 2^(k-1).
    assert.deepEqual(actions.restartStarts, [0, 110, 320]);
    assert.equal(ctx.stats.restartRetries, 2);
    assert.equal(ctx.stats.restarted, 1);
    assert.deepEqual(
      delivery.calls.filter((c) => c !== "extend"),
      ["ack"],
    );
  });

  it("nacks with the nack delay when restart keeps failing past the retry limit", async () => {
    const failing = Array.from({ length: 10 }, () => ({ ms: 5, fail: true }));
    const actions = new ScriptedActions(clock, { ms: 5 }, failing);
    const ctx = context(actions, { restartRetries: 2 });
    const delivery = new FakeDelivery(sampleMessage);
    const outcome = handleMessage(delivery, sampleMessage, ctx, new AbortController().signal);
    await clock.tickAsync(5000);
    assert.equal(await outcome, "nacked");
    assert.equal(actions.restartStarts.length, 3, "one attempt and two retries");
    assert.deepEqual(
      delivery.calls.filter((c) => c !== "extend"),
      ["nack(250)"],
    );
    assert.equal(ctx.stats.restartFailures, 1);
    assert.equal(ctx.stats.saved, 1);
  });

  it("nacks when save fails, even though restart succeeded", async () => {
    const actions = new ScriptedActions(clock, { ms: 5, fail: true }, [{ ms: 5 }]);
    const ctx = context(actions);
    const delivery = new FakeDelivery(sampleMessage);
    const outcome = handleMessage(delivery, sampleMessage, ctx, new AbortController().signal);
    await clock.tickAsync(100);
    assert.equal(await outcome, "nacked");
    assert.deepEqual(delivery.calls, ["nack(250)"]);
    assert.equal(ctx.stats.saveFailures, 1);
    assert.equal(ctx.stats.restarted, 1);
  });

  it("counts a save that throws instead of rejecting as a failed save, and nacks", async () => {
    const scripted = new ScriptedActions(clock, { ms: 0 }, [{ ms: 5 }]);
    const actions: Actions = {
      save: () => {
        throw new SaveFailedError(sampleMessage.instanceName);
      },
      restartHost: (message, signal) => scripted.restartHost(message, signal as AbortSignal),
    };
    const ctx = context(actions);
    const delivery = new FakeDelivery(sampleMessage);
    const outcome = handleMessage(delivery, sampleMessage, ctx, new AbortController().signal);
    await clock.tickAsync(50);
    assert.equal(await outcome, "nacked");
    assert.deepEqual(delivery.calls, ["nack(250)"]);
    assert.equal(ctx.stats.saveFailures, 1);
    assert.equal(ctx.stats.restarted, 1);
  });

  it("stops at once without settling when its signal aborts", async () => {
    const actions = new ScriptedActions(clock, { ms: 10_000 }, [{ ms: 10_000 }]);
    const ctx = context(actions);
    const delivery = new FakeDelivery(sampleMessage);
    const shutdown = new AbortController();
    const outcome = handleMessage(delivery, sampleMessage, ctx, shutdown.signal);
    await clock.tickAsync(150);
    shutdown.abort(new ShutdownError("test"));
    await clock.tickAsync(0);
    assert.equal(await outcome, "aborted");
    assert.deepEqual(delivery.calls, ["extend"], "extended once, never acked nor nacked");
    assert.equal(clock.countTimers(), 0, "every sleep's timer was cleared");
    assert.equal(ctx.stats.aborted, 1);
  });
});
