import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PendingList } from "../../src/tasks/registry.js";
import type { PendingNode } from "../../src/tasks/registry.js";
import {
  cancelTask,
  findTask,
  pendingTaskCount,
  snapshotTasks,
  spawn,
} from "../../src/tasks/index.js";

class Node implements PendingNode<Node> {
  prevPending: Node | undefined = undefined;
  nextPending: Node | undefined = undefined;
  constructor(readonly id: number) {}
}

const ids = (list: PendingList<Node>): number[] => list.toArray().map((n) => n.id);

describe("PendingList", () => {
  it("keeps creation order through removals at the head, the middle and the tail", () => {
    const list = new PendingList<Node>();
    const nodes = [1, 2, 3, 4, 5].map((id) => new Node(id));
    for (const node of nodes) list.add(node);
    assert.deepEqual(ids(list), [1, 2, 3, 4, 5]);
    list.remove(nodes[2]!);
    list.remove(nodes[0]!);
    list.remove(nodes[4]!);
    assert.deepEqual(ids(list), [2, 4]);
    assert.equal(list.size, 2);
    list.add(new Node(6));
    assert.deepEqual(ids(list), [2, 4, 6]);
    list.remove(nodes[1]!);
    list.remove(nodes[3]!);
    assert.deepEqual(ids(list), [6]);
  });

  it("finds by id, and says undefined for a removed or unknown id", () => {
    const list = new PendingList<Node>();
    const nodes = [3, 7, 9].map((id) => new Node(id));
    for (const node of nodes) list.add(node);
    assert.equal(list.find(7), nodes[1]);
    list.remove(nodes[1]!);
    assert.equal(list.find(7), undefined);
    assert.equal(list.find(100), undefined);
    assert.equal(list.find(9), nodes[2]);
  });

  it("toArray is a copy: removing while going through it is safe", () => {
    const list = new PendingList<Node>();
    for (let id = 1; id <= 4; id++) list.add(new Node(id));
    for (const node of list.toArray()) list.remove(node);
    assert.equal(list.size, 0);
    assert.deepEqual(ids(list), []);
  });
});

describe("the task registry", () => {
  it("tasks finishing out of creation order leave the others findable and listed in order", async () => {
    const before = pendingTaskCount();
    const resolvers: (() => void)[] = [];
    const tasks = Array.from({ length: 6 }, (_, i) =>
      spawn(`job ${i}`, () => new Promise<void>((resolve) => resolvers.push(resolve))),
    );
    assert.equal(pendingTaskCount(), before + 6);
    // Finish the third, the first and the last.
    for (const i of [2, 0, 5]) resolvers[i]!();
    await Promise.all([2, 0, 5].map((i) => tasks[i]!.promise));
    assert.equal(pendingTaskCount(), before + 3);
    const listed = snapshotTasks()
      .tasks.filter((t) => t.name.startsWith("job "))
      .map((t) => t.name);
    assert.deepEqual(listed, ["job 1", "job 3", "job 4"]);
    assert.equal(findTask(tasks[3]!.id), tasks[3]);
    assert.equal(findTask(tasks[2]!.id), undefined);
    assert.equal(cancelTask(tasks[0]!.id), false);
    assert.equal(cancelTask(tasks[4]!.id), true);
    assert.equal(tasks[4]!.cancelRequested, true);
    for (const i of [1, 3, 4]) resolvers[i]!();
    await Promise.all(tasks.map((t) => t.promise));
    assert.equal(pendingTaskCount(), before);
  });
});
