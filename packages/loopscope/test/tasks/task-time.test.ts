import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { TaskSnapshot } from "../../src/protocol/index.js";
import { renderDump } from "../../src/render/index.js";
import { setDebugTracking, snapshotTasks, spawn } from "../../src/tasks/index.js";

/** A promise and its resolver, settled by the test when it chooses. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Keep the thread busy for `ms` and return how long it really was, by the same clock. */
function spin(ms: number): number {
  const start = performance.now();
  while (performance.now() - start < ms);
  return performance.now() - start;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function snapshotOf(id: number): TaskSnapshot {
  const found = snapshotTasks().tasks.find((t) => t.id === id);
  assert.ok(found, `task ${id} in the dump`);
  return found;
}

describe("debug mode: per-task busy time, idle time and steps", () => {
  before(() => setDebugTracking(true));
  after(() => setDebugTracking(false));

  it("a task that runs 30 ms in one step and then waits: busy covers the step, idle the rest", async () => {
    const gate = deferred();
    let stepMs = 0;
    const task = spawn("cruncher", async () => {
      await turn();
      stepMs = spin(30);
      await turn();
      await turn();
      await gate.promise;
    });
    for (let i = 0; i < 5; i++) await turn();
    const snap = snapshotOf(task.id);
    assert.ok(stepMs >= 30);
    assert.ok(snap.busyMs !== undefined && snap.busyMs >= stepMs, JSON.stringify(snap));
    assert.ok(snap.idleMs !== undefined);
    assert.ok(Math.abs(snap.busyMs + snap.idleMs - snap.ageMs) < 1e-6, "idle = age - busy");
    // The first step, then one per resumed await: three turns, and now waiting on the gate.
    assert.equal(snap.steps, 4);
    assert.match(renderDump(snapshotTasks()), /busy \d+(\.\d)? ms, idle [\d.]+ m?s, 4 steps/);
    gate.resolve();
    await task.promise;
  });

  it("time is charged to one task at a time: a child's first step is not its parent's", async () => {
    const gate = deferred();
    let childId = 0;
    const startedAt = performance.now();
    const parent = spawn("parent", async () => {
      childId = spawn("child", async () => {
        spin(30);
        await gate.promise;
      }).id;
      await gate.promise;
    });
    const wallMs = performance.now() - startedAt;
    const parentBusy = snapshotOf(parent.id).busyMs ?? NaN;
    const childBusy = snapshotOf(childId).busyMs ?? NaN;
    assert.ok(childBusy >= 30, `child busy ${childBusy}`);
    // Disjoint intervals inside the wall time; counting the child in both would exceed it.
    assert.ok(parentBusy + childBusy <= wallMs, `${parentBusy} + ${childBusy} <= ${wallMs}`);
    gate.resolve();
    await parent.promise;
  });

  it("every task has its creation frames, however many are spawned at once", async () => {
    const gate = deferred();
    const tasks = Array.from({ length: 1_000 }, (_, i) => spawn(`burst ${i}`, () => gate.promise));
    const dump = snapshotTasks();
    const burst = dump.tasks.filter((t) => t.name.startsWith("burst "));
    assert.equal(burst.length, 1_000);
    assert.ok(burst.every((t) => t.createdAt.length > 0));
    assert.equal(dump.unsampled, undefined);
    gate.resolve();
    await Promise.all(tasks.map((t) => t.promise));
  });
});

describe("production mode", () => {
  it("has no per-task time, and samples creation frames under load", async () => {
    const gate = deferred();
    const tasks = Array.from({ length: 1_000 }, (_, i) => spawn(`prod ${i}`, () => gate.promise));
    const dump = snapshotTasks();
    const mine = dump.tasks.filter((t) => t.name.startsWith("prod "));
    assert.ok(mine.every((t) => t.busyMs === undefined && t.steps === undefined));
    assert.ok((dump.unsampled ?? 0) > 0, "past the sampler's burst, some have none");
    gate.resolve();
    await Promise.all(tasks.map((t) => t.promise));
  });
});
