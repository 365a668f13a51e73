import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, it } from "node:test";
import { finishedTasks, keepFinishedTasks, spawn } from "../../src/tasks/index.js";

let stopKeeping: (() => void) | undefined;
afterEach(() => {
  stopKeeping?.();
  stopKeeping = undefined;
});

describe("finished-task history", () => {
  it("keeps nothing until asked to", async () => {
    await spawn("before", () => sleep(1)).promise;
    assert.deepEqual(finishedTasks(), { tasks: [], dropped: 0 });
  });

  it("says how each task ended: done, failed with the error, cancelled with the reason", async () => {
    stopKeeping = keepFinishedTasks();
    const parent = spawn("parent", () => sleep(50));
    await spawn("done one", () => sleep(1), { parent }).promise;
    await spawn("failing one", async () => {
      await sleep(1);
      throw new RangeError("out of range");
    }).promise.catch(() => undefined);
    const doomed = spawn("doomed one", (task) => sleep(60_000, undefined, { signal: task.signal }));
    doomed.cancel("no longer needed");
    await doomed.promise.catch(() => undefined);
    await parent.promise;

    const { tasks } = finishedTasks();
    const byName = new Map(tasks.map((task) => [task.name, task]));
    assert.deepEqual(
      tasks.map((task) => task.name),
      ["parent", "doomed one", "failing one", "done one"],
      "most recent first",
    );
    const done = byName.get("done one")!;
    assert.equal(done.outcome, "done");
    assert.equal(done.parentId, parent.id);
    assert.ok(done.endedAt >= done.createdAt);
    assert.equal(done.error, undefined);
    const failed = byName.get("failing one")!;
    assert.equal(failed.outcome, "failed");
    assert.deepEqual([failed.error?.name, failed.error?.message], ["RangeError", "out of range"]);
    const cancelled = byName.get("doomed one")!;
    assert.equal(cancelled.outcome, "cancelled");
    assert.equal(cancelled.reason, "no longer needed");
  });

  it("is bounded by count, and counts what it dropped", async () => {
    stopKeeping = keepFinishedTasks({ maxCount: 3 });
    for (let i = 0; i < 10; i++) await spawn(`task ${i}`, () => undefined).promise;
    const { tasks, dropped } = finishedTasks();
    assert.deepEqual(
      tasks.map((task) => task.name),
      ["task 9", "task 8", "task 7"],
    );
    assert.equal(dropped, 7);
    assert.equal(finishedTasks(2).tasks.length, 2);
  });

  it("is bounded by age", async () => {
    stopKeeping = keepFinishedTasks({ maxAgeMs: 30 });
    await spawn("old", () => undefined).promise;
    await sleep(60);
    await spawn("new", () => undefined).promise;
    const { tasks, dropped } = finishedTasks();
    assert.deepEqual(
      tasks.map((task) => task.name),
      ["new"],
    );
    assert.equal(dropped, 1);
  });

  it("stops keeping when told, and refuses bad limits", async () => {
    const stop = keepFinishedTasks();
    stop();
    await spawn("after", () => undefined).promise;
    assert.equal(finishedTasks().tasks.length, 0);
    assert.throws(() => keepFinishedTasks({ maxCount: 0 }), /maxCount must be a positive integer/);
  });
});
