/**
 * Debug mode samples task creation stacks under load (a capture costs ~2 µs). A failure
 * report for a task whose own frames were sampled out names its nearest ancestor's
 * creation instead, and says so; a rejected promise names the task it was created in.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { renderEvent } from "../../src/render/index.js";
import type { TaskExceptionNeverRetrievedEvent } from "../../src/protocol/index.js";
import {
  contextTaskRefOfPromise,
  setDebugTracking,
  snapshotTasks,
  spawn,
  taskRef,
} from "../../src/tasks/index.js";
import type { Task } from "../../src/tasks/index.js";
import type { TaskImpl } from "../../src/tasks/task.js";
import { debugCreationSampler } from "../../src/tasks/task.js";

const thisFile = fileURLToPath(import.meta.url);

function captured(task: Task): boolean {
  return (task as TaskImpl).creation !== undefined;
}

/**
 * Spawn children of `parent` (each done at once) until one's creation is sampled out.
 * The bucket holds 1,000 captures and refills 5 a millisecond, then keeps 1 in 32: a
 * tight loop of cheap spawns finds one long before the bound.
 */
function spawnUntilSampledOut(parent: Task, name: string): Task {
  for (let i = 0; i < 50_000; i++) {
    const child = spawn(name, () => i, { parent });
    if (!captured(child)) return child;
  }
  throw new Error("no creation was sampled out in 50,000 spawns");
}

describe("debug mode: sampled creation stacks", () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let handle!: Task;

  before(() => {
    setDebugTracking(true);
    // The first spawn of the process: the bucket is full, so its creation is captured.
    handle = spawn("handle cattle-ab12", () => held);
  });
  after(async () => {
    release();
    await handle.promise;
    setDebugTracking(false);
  });

  it("captures freely, then samples under load, and the dump says how", () => {
    assert.ok(captured(handle));
    const sampledOut = spawnUntilSampledOut(handle, "save cattle-ab12");
    assert.ok(!captured(sampledOut));
    assert.equal(snapshotTasks().sampling?.creationOneIn, debugCreationSampler.oneIn);
    assert.ok((snapshotTasks().sampling?.creationSkipped ?? 0) > 0);
  });

  it("a sampled-out task's ref names its parent's creation, and the report says so", () => {
    const child = spawnUntilSampledOut(handle, "save cattle-ab12");
    const ref = taskRef(child);
    assert.deepEqual(ref.createdAt, []);
    assert.equal(ref.ancestorCreatedAt?.id, handle.id);
    assert.equal(ref.ancestorCreatedAt?.name, "handle cattle-ab12");
    assert.equal(ref.ancestorCreatedAt?.generations, 1);
    // The parent's own creation frames: this file's `before`.
    assert.equal(ref.ancestorCreatedAt?.createdAt[0]?.file, thisFile);
    assert.deepEqual(ref.ancestorCreatedAt?.createdAt, taskRef(handle).createdAt);

    const event: TaskExceptionNeverRetrievedEvent = {
      type: "task-exception-never-retrieved",
      protocol: 1,
      time: 0,
      pid: 1,
      error: { name: "Error", message: "could not save", stack: [] },
      stack: [],
      task: ref,
    };
    const lines = renderEvent(event).split("\n");
    assert.equal(
      lines[1],
      `  creation frames sampled out; parent task ${handle.id} "handle cattle-ab12" created at:`,
    );
    assert.match(lines[2]!, /creation-sampling\.test\.ts:\d+:\d+\)$/);
  });

  it("skips ancestors sampled out too, counting the generations", () => {
    // A child sampled out that stays pending, so grandchildren can be spawned under it.
    let child: Task | undefined;
    const releases: (() => void)[] = [];
    for (let i = 0; i < 50_000 && child === undefined; i++) {
      const candidate = spawn(
        "extend cattle-ab12",
        () => new Promise<void>((resolve) => releases.push(resolve)),
        { parent: handle },
      );
      if (!captured(candidate)) child = candidate;
    }
    assert.ok(child !== undefined);
    const grandchild = spawnUntilSampledOut(child, "working cattle-ab12");
    const ref = taskRef(grandchild);
    assert.equal(ref.ancestorCreatedAt?.id, handle.id);
    assert.equal(ref.ancestorCreatedAt?.generations, 2);
    assert.match(renderEvent({ ...eventFor(ref) }), /ancestor task \d+ "handle cattle-ab12"/);
    for (const resolve of releases) resolve();
  });

  it("a captured task's ref has its own frames and no fallback", () => {
    const ref = taskRef(handle);
    assert.ok(ref.createdAt.length > 0);
    assert.equal(ref.ancestorCreatedAt, undefined);
  });

  it("a promise names the task it was created in", async () => {
    let inner: Promise<void> | undefined;
    const task = spawn("cleanup cattle-ab12", async () => {
      await Promise.resolve();
      inner = Promise.resolve();
      await inner;
    });
    await task.promise;
    assert.equal(contextTaskRefOfPromise(inner!)?.id, task.id);
    assert.equal(contextTaskRefOfPromise(Promise.resolve()), undefined);
  });
});

function eventFor(task: ReturnType<typeof taskRef>): TaskExceptionNeverRetrievedEvent {
  return {
    type: "task-exception-never-retrieved",
    protocol: 1,
    time: 0,
    pid: 1,
    error: { name: "Error", message: "failed", stack: [] },
    stack: [],
    task,
  };
}
