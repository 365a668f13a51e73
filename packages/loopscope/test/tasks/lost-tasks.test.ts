import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  LOST_TASKS_KEPT,
  keepLost,
  lostTaskSnapshots,
  lostTasksNotKept,
} from "../../src/tasks/lost-tasks.js";

describe("lost tasks kept for dumps", () => {
  it("keeps the latest ones up to the bound and counts the older ones", () => {
    for (let id = 1; id <= LOST_TASKS_KEPT + 5; id++) {
      keepLost({
        id,
        name: `lost ${id}`,
        parentId: undefined,
        createdMs: 0,
        createdAt: [],
        awaiting:
          id === LOST_TASKS_KEPT + 5
            ? { kind: "unknown", what: "x", at: [], startedMs: 40 }
            : undefined,
        busyMs: undefined,
        steps: undefined,
      });
    }
    const listed = lostTaskSnapshots(100);
    assert.equal(listed.length, LOST_TASKS_KEPT);
    assert.equal(lostTasksNotKept(), 5);
    assert.equal(listed[0]!.id, 6, "the oldest five are the ones dropped");
    const last = listed.at(-1)!;
    assert.equal(last.state, "pending");
    assert.equal(last.neverResumes, true);
    assert.equal(last.ageMs, 100);
    assert.deepEqual(last.awaiting, { kind: "unknown", what: "x", at: [], sinceMs: 60 });
  });
});
