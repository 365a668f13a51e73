import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PROTOCOL_VERSION } from "../../src/protocol/index.js";
import { cancelTask, currentTask, findTask, snapshotTasks, spawn } from "../../src/tasks/index.js";

/** A promise and its resolvers, settled by the test when it chooses. */
function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("spawn", () => {
  it("runs the function now, registers the task and settles with its value", async () => {
    const gate = deferred<number>();
    let ranSync = false;
    const task = spawn("add", async () => {
      ranSync = true;
      return (await gate.promise) + 1;
    });
    assert.equal(ranSync, true);
    assert.equal(task.state, "pending");
    assert.equal(findTask(task.id), task);
    const dump = snapshotTasks();
    assert.equal(dump.protocol, PROTOCOL_VERSION);
    assert.ok(dump.tasks.some((t) => t.id === task.id && t.name === "add"));
    gate.resolve(41);
    assert.equal(await task.promise, 42);
    assert.equal(task.state, "done");
    assert.equal(findTask(task.id), undefined);
    assert.ok(!snapshotTasks().tasks.some((t) => t.id === task.id));
  });

  it("rejects with the function's own error and marks the task failed", async () => {
    const error = new Error("boom");
    const task = spawn("fails", async () => {
      await Promise.resolve();
      throw error;
    });
    await assert.rejects(task.promise, (e) => e === error);
    assert.equal(task.state, "failed");
  });

  it("handles synchronous functions and synchronous throws", async () => {
    const ok = spawn("sync", () => 7);
    assert.equal(ok.state, "done");
    assert.equal(await ok.promise, 7);
    const error = new TypeError("sync boom");
    const bad = spawn("sync throw", () => {
      throw error;
    });
    assert.equal(bad.state, "failed");
    await assert.rejects(bad.promise, (e) => e === error);
  });

  it("knows the current task during its synchronous step and defaults the parent to it", async () => {
    const gate = deferred();
    let seen: unknown;
    const parent = spawn("parent", async (self) => {
      seen = currentTask();
      const child = spawn("child", () => gate.promise);
      assert.equal(child.parent, self);
      await child.promise;
    });
    assert.equal(seen, parent);
    assert.equal(currentTask(), undefined);
    const child = snapshotTasks().tasks.find((t) => t.name === "child" && t.parentId === parent.id);
    assert.ok(child, "child listed with its parent id");
    gate.resolve();
    await parent.promise;
  });

  it("gives a TypeError naming the option and the value", () => {
    assert.throws(() => spawn(42 as unknown as string, () => 1), {
      name: "TypeError",
      message: /"name" must be a string, received number 42/,
    });
    assert.throws(() => spawn("x", "nope" as unknown as () => 1), {
      name: "TypeError",
      message: /"fn" must be a function, received "nope"/,
    });
    assert.throws(() => spawn("x", () => 1, { parent: {} as never }), {
      name: "TypeError",
      message: /"options.parent" must be a task/,
    });
  });
});

describe("cancellation", () => {
  it("cancelTask aborts the signal, cancels children, and the task ends cancelled", async () => {
    let childSignal: AbortSignal | undefined;
    const parent = spawn("parent", async (self) => {
      const child = spawn("child", (t) => {
        childSignal = t.signal;
        return new Promise<void>((_, reject) =>
          t.signal.addEventListener("abort", () => reject(t.signal.reason as Error)),
        );
      });
      await child.promise.catch(() => undefined);
      // The signal was never read before the cancel: created already aborted.
      self.signal.throwIfAborted();
    });
    const reason = new Error("operator asked");
    assert.equal(cancelTask(parent.id, reason), true);
    assert.equal(parent.cancelRequested, true);
    assert.equal(childSignal?.aborted, true);
    assert.equal(childSignal?.reason, reason);
    await assert.rejects(parent.promise, (e) => e === reason);
    assert.equal(parent.state, "cancelled");
    assert.equal(cancelTask(parent.id), false, "no longer pending");
  });

  it("a task that finishes normally after a cancel request is done, not cancelled", async () => {
    const gate = deferred();
    const task = spawn("stubborn", () => gate.promise);
    task.cancel();
    assert.equal(task.signal.aborted, true);
    assert.equal((task.signal.reason as Error).name, "AbortError");
    assert.equal(snapshotTasks().tasks.find((t) => t.id === task.id)?.cancelRequested, true);
    gate.resolve();
    await task.promise;
    assert.equal(task.state, "done");
  });

  it("an outside signal cancels the task, and its listener is removed when the task ends", async () => {
    const controller = new AbortController();
    const task = spawn(
      "listens",
      (t) =>
        new Promise<void>((_, reject) =>
          t.signal.addEventListener("abort", () => reject(new Error("stopped"))),
        ),
      {
        signal: controller.signal,
      },
    );
    controller.abort();
    await assert.rejects(task.promise, /stopped/);
    assert.equal(task.state, "cancelled");

    const other = new AbortController();
    const done = spawn("finishes", () => Promise.resolve(1), { signal: other.signal });
    await done.promise;
    other.abort();
    assert.equal(done.cancelRequested, false, "no listener left behind after finishing");
  });
});

describe("failures reach Node", () => {
  it("an ignored task rejection is still an unhandled rejection (exit code 1, error printed)", () => {
    const fixture = fileURLToPath(new URL("../fixtures/tasks/unhandled.ts", import.meta.url));
    const result = spawnSync(process.execPath, ["--import", "tsx", fixture], { encoding: "utf8" });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Error: nobody catches me/);
  });

  it("a handled task rejection is not reported", () => {
    const fixture = fileURLToPath(new URL("../fixtures/tasks/unhandled.ts", import.meta.url));
    const result = spawnSync(process.execPath, ["--import", "tsx", fixture, "handled"], {
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /handled: nobody catches me/);
  });
});
