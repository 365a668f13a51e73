import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cancelTask, snapshotTasks } from "loopscope";
import type { Actions, HandlerContext } from "../../src/service/index.js";
import { parseDefects } from "../../src/config/index.js";
import { ServiceStats, spawnHandler, timerSleeper, yieldSleeper } from "../../src/service/index.js";
import { FakeDelivery, sampleMessage } from "../helpers/fake-delivery.js";

/** Actions that wait until cancelled (as a slow database would), through the real sleeper. */
const slowActions: Actions = {
  save: (_message, signal) => timerSleeper.sleep(60_000, signal),
  restartHost: (_message, signal) => timerSleeper.sleep(60_000, signal),
};

function context(actions: Actions): HandlerContext {
  return {
    actions,
    sleeper: timerSleeper,
    stats: new ServiceStats(),
    log: undefined,
    errorLog: undefined,
    extendIntervalMs: 30_000,
    restartRetries: 0,
    restartBackoffMs: 1,
    nackDelayMs: 250,
  };
}

describe("spawnHandler", () => {
  it("runs a message as `handle <instance>` with `extend` and `cleanup` children", async () => {
    const ctx = context(slowActions);
    const delivery = new FakeDelivery(sampleMessage);
    const task = spawnHandler(delivery, sampleMessage, ctx, new AbortController().signal);
    const tasks = snapshotTasks().tasks;
    const children = tasks.filter((t) => t.parentId === task.id).map((t) => t.name);
    assert.equal(task.name, `handle ${sampleMessage.instanceName}`);
    assert.deepEqual(children.sort(), [
      `cleanup ${sampleMessage.instanceName}`,
      `extend ${sampleMessage.instanceName}`,
    ]);
    task.cancel();
    assert.equal(await task.promise, "aborted");
  });

  it("cancelTask(id) stops the work and nacks the message for immediate redelivery", async () => {
    const ctx = context(slowActions);
    const delivery = new FakeDelivery(sampleMessage);
    const task = spawnHandler(delivery, sampleMessage, ctx, new AbortController().signal);
    assert.equal(cancelTask(task.id), true);
    assert.equal(await task.promise, "aborted");
    assert.deepEqual(delivery.calls, ["nack(0)"]);
    assert.equal(ctx.stats.aborted, 1);
    assert.equal(snapshotTasks().tasks.filter((t) => t.parentId === task.id).length, 0);
  });

  it("after shutdown (the consumer nacked already) a cancelled handler does not settle again", async () => {
    const ctx = context(slowActions);
    const delivery = new FakeDelivery(sampleMessage);
    const shutdown = new AbortController();
    const task = spawnHandler(delivery, sampleMessage, ctx, shutdown.signal);
    shutdown.abort();
    task.cancel();
    assert.equal(await task.promise, "aborted");
    assert.deepEqual(delivery.calls, []);
  });

  it("acks when the work succeeds, with the yielding sleeper (no AbortController needed)", async () => {
    const ctx = {
      ...context({ save: () => yieldSleeper.sleep(0), restartHost: () => yieldSleeper.sleep(0) }),
      sleeper: yieldSleeper,
    };
    const delivery = new FakeDelivery(sampleMessage);
    const task = spawnHandler(delivery, sampleMessage, ctx, new AbortController().signal);
    assert.equal(await task.promise, "acked");
    // The extend loop may extend once per yield before the work is done; then one ack.
    assert.equal(delivery.calls.at(-1), "ack");
    assert.equal(delivery.count("ack"), 1);
  });
});

describe("parseDefects", () => {
  it("reads a comma-separated list, ignoring case, blanks, repeats and `none`", () => {
    assert.deepEqual(parseDefects(" Blocking-Save, lost-task,,blocking-save"), [
      "blocking-save",
      "lost-task",
    ]);
    assert.deepEqual(parseDefects("none"), []);
    assert.deepEqual(parseDefects(""), []);
  });

  it("names an unknown defect and the accepted ones", () => {
    assert.throws(() => parseDefects("blocking-save,slow"), {
      name: "TypeError",
      message:
        /unknown defect "slow"; expected .*blocking-save, blocking-call, unretrieved, lost-task/,
    });
  });
});
