import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Awaiting, Frame, TaskSnapshot } from "../../src/protocol/index.js";
import { groupTasks, renderDump } from "../../src/render/index.js";

const handlerSite: Frame = { fn: "spawnHandler", file: "/app/src/handler.ts", line: 314, col: 10 };
const extendSite: Frame = { fn: "handleMessage", file: "/app/src/handler.ts", line: 199, col: 21 };
const awaitSite: Frame[] = [{ fn: "extend", file: "/app/src/handler.ts", line: 88, col: 7 }];

function task(id: number, name: string, more: Partial<TaskSnapshot> = {}): TaskSnapshot {
  return { id, name, state: "pending", ageMs: 100 + id, createdAt: [handlerSite], ...more };
}

function awaiting(kind: Awaiting["kind"], what: string): Awaiting {
  return { kind, what, at: awaitSite, sinceMs: 10 };
}

/** Frozen all the way down: grouping must only read. */
function frozen<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}

describe("groupTasks", () => {
  it("groups tasks awaiting different tasks by the await's kind, not by parsing its text", () => {
    const tasks = frozen([
      task(1, "save m1", { awaiting: awaiting("task", 'task 7 "fetch a"') }),
      task(2, "save m2", { awaiting: awaiting("task", 'task 8 "fetch b"') }),
      // Text that reads like a task, but is not one: grouped by its text.
      task(3, "save m3", { awaiting: awaiting("promise", 'task 9 "made up"') }),
      task(4, "save m4", { awaiting: awaiting("promise", 'task 10 "made up"') }),
    ]);
    const { groups } = groupTasks({ tasks });
    // Largest group first, then the one with the oldest task (task 4 is older than 3).
    assert.deepEqual(
      groups.map((g) => g.tasks.map((t) => t.id)),
      [[1, 2], [4], [3]],
    );
  });

  it("nests children under their pending parent and groups identical subtrees across parents", () => {
    const extend = (id: number, parentId: number): TaskSnapshot =>
      task(id, `extend m${parentId}`, { parentId, createdAt: [extendSite, handlerSite] });
    const tasks = frozen([
      task(1, "handle m1"),
      task(2, "handle m2"),
      extend(3, 1),
      extend(4, 1),
      extend(5, 2),
      extend(6, 2),
      { ...task(7, "async load"), id: 0, internal: true },
    ]);
    const grouped = groupTasks({ tasks });

    assert.equal(grouped.taskCount, 6);
    assert.equal(grouped.rootCount, 2);
    assert.deepEqual(
      grouped.internal.map((t) => t.name),
      ["async load"],
    );
    assert.equal(grouped.groups.length, 1);
    const [handlers] = grouped.groups;
    assert.deepEqual(
      handlers!.tasks.map((t) => t.id),
      [1, 2],
    );
    assert.equal(handlers!.nested, false);
    assert.equal(handlers!.children.length, 1);
    const [extends_] = handlers!.children;
    assert.deepEqual(
      extends_!.tasks.map((t) => t.id),
      [3, 4, 5, 6],
    );
    assert.equal(extends_!.nested, true);
    // The frame the parent's creation already shows is not the child's own.
    assert.equal(extends_!.ownCreationFrames, 1);
  });

  it("is what the text dump shows: one block per top-level group", () => {
    const tasks = [task(1, "handle m1"), task(2, "handle m2"), task(3, "poll queue")];
    const text = renderDump({
      type: "task-dump",
      protocol: 1,
      time: 0,
      pid: 1,
      mode: "production",
      tasks,
    });
    const { groups } = groupTasks({ tasks });
    assert.equal(groups.length, 2);
    assert.match(text, /3 pending tasks, in 2 groups/);
  });
});
