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

describe("renderDump in debug mode", () => {
  const loaderFrames: Frame[] = [
    {
      fn: "ModuleLoader.getModuleJobForImport",
      file: "node:internal/modules/esm/loader",
      line: 300,
      col: 5,
      internal: true,
    },
    {
      fn: "ModuleJob._link",
      file: "node:internal/modules/esm/module_job",
      line: 90,
      col: 3,
      internal: true,
    },
  ];
  const loading = (n: number): TaskSnapshot => ({
    id: 0,
    name: "async ModuleLoader.getModuleJobForImport",
    state: "pending",
    ageMs: 50 + n,
    createdAt: [],
    awaiting: { what: "node-internal", at: loaderFrames, sinceMs: 50 },
    internal: true,
  });

  it("folds Node's own pending async calls into one line and leaves them out of the count", () => {
    const tasks = [handler(1, 2000), ...Array.from({ length: 11 }, (_, i) => loading(i))];
    const text = renderDump(dump(tasks));
    const lines = text.split("\n");
    assert.equal(lines[1], "1 pending task");
    assert.equal(
      lines.at(-1),
      "+ 11 pending async calls inside Node itself (module loading), hidden",
    );
    assert.doesNotMatch(text, /getModuleJobForImport/);
    assert.match(text, /task 1 "handle m1"/);
  });

  it("shows busy time, idle time and steps, sub-millisecond durations as fractions", () => {
    const one: TaskSnapshot = { ...handler(1, 2000), busyMs: 0.42, idleMs: 1999.58, steps: 57 };
    const text = renderDump(dump([one]));
    assert.match(text, /\n {2}busy 0\.42 ms, idle 2\.0 s, 57 steps\n/);

    const group = [2, 3, 4].map((id): TaskSnapshot => ({
      ...handler(id, 900),
      busyMs: id * 1.5,
      idleMs: 900 - id * 1.5,
      steps: id,
    }));
    assert.match(renderDump(dump(group)), /\n {2}busy 3 ms–6 ms, idle 894 ms–897 ms, 2–4 steps\n/);
  });

  it("says 0.4 ms, not 0 ms, for a short wait", () => {
    const task = handler(5, 0.8);
    assert.match(renderDump(dump([task])), /\[pending 0\.8 ms\]/);
    assert.match(renderDump(dump([task])), /for 0\.4 ms, at:/);
  });
});
