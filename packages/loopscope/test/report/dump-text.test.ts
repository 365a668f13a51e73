import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { renderDump } from "../../src/report/index.js";
import type { Frame, TaskDumpEvent, TaskSnapshot } from "../../src/report/types.js";

const awaitFrames: Frame[] = [{ fn: "extend", file: "/app/src/consumer.ts", line: 88, col: 7 }];
const createdFrames: Frame[] = [
  { fn: "Consumer.dispatch", file: "/app/src/consumer.ts", line: 61, col: 5 },
  {
    fn: "processTicksAndRejections",
    file: "node:internal/process/task_queues",
    line: 95,
    col: 5,
    internal: true,
  },
  {
    fn: "runNextTicks",
    file: "node:internal/process/task_queues",
    line: 64,
    col: 3,
    internal: true,
  },
];

function handler(id: number, ageMs: number): TaskSnapshot {
  return {
    id,
    name: `handle m${id}`,
    state: "pending",
    ageMs,
    createdAt: createdFrames,
    awaiting: { what: "timer 1000 ms", at: awaitFrames, sinceMs: ageMs / 2 },
  };
}

function dump(tasks: TaskSnapshot[], mode: "production" | "debug" = "debug"): TaskDumpEvent {
  return {
    type: "task-dump",
    time: 0,
    pid: 42,
    mode,
    tasks,
    resources: { Timeout: 3, TCPSocketWrap: 1 },
  };
}

describe("renderDump", () => {
  it("groups identical stacks with a count, largest group first, names capped", () => {
    const tasks = [
      { id: 1, name: "main", state: "pending", ageMs: 9000, createdAt: [] } as TaskSnapshot,
    ];
    for (let i = 2; i < 10_002; i++) tasks.push(handler(i, i));
    const text = renderDump(dump(tasks));
    const lines = text.split("\n");
    const group = lines.findIndex((l) => l.startsWith("10000 tasks [pending"));
    const single = lines.findIndex((l) => l.startsWith('task 1 "main"'));
    assert.ok(group > 0 && single > group, "the big group comes first");
    assert.match(lines[group + 1]!, /2 "handle m2", 3 "handle m3", .*, and 9995 more$/);
    assert.equal(lines.filter((l) => l.includes("consumer.ts:88:7")).length, 1);
    assert.match(text, /awaits timer 1000 ms, for 1 ms–5\.0 s, at:/);
    assert.match(text, /\.\.\. 2 node-internal frames/);
    assert.match(text, /10001 pending tasks in 2 groups/);
    assert.match(text, /node resources: Timeout 3, TCPSocketWrap 1/);
  });

  it("production mode says what debug mode adds and how creation frames were sampled", () => {
    const tasks: TaskSnapshot[] = [
      {
        id: 7,
        name: "save cattle-ab12",
        state: "pending",
        ageMs: 2100,
        parentId: 3,
        createdAt: [],
      },
    ];
    const text = renderDump({
      ...dump(tasks, "production"),
      unsampled: 1,
      sampling: { creationOneIn: 256, creationSkipped: 5 },
    });
    assert.match(text, /task 7 "save cattle-ab12" \[pending 2\.1 s, parent 3\]/);
    assert.match(text, /created at: \(not sampled\)/);
    assert.match(
      text,
      /creation frames sampled: 1 of 1 tasks have none \(captured 1 in 256 under load\)/,
    );
    assert.match(text, /LOOPSCOPE_DEBUG=1/);
  });
});
