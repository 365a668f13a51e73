import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { renderDump } from "../../src/render/index.js";
import type { Frame, TaskDumpEvent, TaskSnapshot } from "../../src/protocol/index.js";

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
    awaiting: { kind: "timer", what: "timer 1000 ms", at: awaitFrames, sinceMs: ageMs / 2 },
  };
}

function dump(tasks: TaskSnapshot[], mode: "production" | "debug" = "debug"): TaskDumpEvent {
  return {
    type: "task-dump",
    protocol: 1,
    time: 0,
    pid: 42,
    mode,
    tasks,
    resources: { Timeout: 3, TCPSocketWrap: 1 },
  };
}

const spawnFrame: Frame = {
  fn: "spawn",
  file: "/app/node_modules/loopscope/dist/tasks/task.js",
  line: 300,
  col: 3,
  loopscope: true,
};

/** Instance parts of the messages' names, by the handle task's id: random, as in Mayhem. */
const INSTANCES: Record<number, string> = {
  10: "wtor",
  20: "nypw",
  22: "ldo6",
  30: "97ds",
  40: "kgsh",
  50: "ey7d",
};

/** A `handle` task with `extend` and `cleanup` children created inside its first step. */
function message(id: number, ageMs: number, children = ["extend", "cleanup"]): TaskSnapshot[] {
  const instance = `cattle-${INSTANCES[id] ?? "zzzz"}`;
  const parent: TaskSnapshot = {
    id,
    name: `handle ${instance}`,
    state: "pending",
    ageMs,
    createdAt: createdFrames,
  };
  return [
    parent,
    ...children.map((kind, i): TaskSnapshot => ({
      id: id + 1 + i,
      name: `${kind} ${instance}`,
      state: "pending",
      ageMs: ageMs - 1,
      parentId: id,
      createdAt: [
        { fn: "handleMessage", file: "/app/src/handler.ts", line: 169 + 10 * i, col: 21 },
        { fn: "<anonymous>", file: "/app/src/handler.ts", line: 270, col: 5 },
        spawnFrame,
        ...createdFrames,
      ],
    })),
  ];
}

describe("renderDump", () => {
  it("groups identical stacks with a count, largest group first, a few example names", () => {
    const tasks = [
      { id: 1, name: "main", state: "pending", ageMs: 9000, createdAt: [] } as TaskSnapshot,
    ];
    for (let i = 2; i < 10_002; i++) tasks.push(handler(i, i));
    const text = renderDump(dump(tasks));
    const lines = text.split("\n");
    const group = lines.findIndex((l) => l.startsWith("10000 × handle m… [pending"));
    const single = lines.findIndex((l) => l.startsWith('task 1 "main"'));
    assert.ok(group > 0 && single > group, "the big group comes first");
    assert.match(
      lines[group + 1]!,
      /^ {2}e\.g\. 2 "handle m2", 3 "handle m3", 4 "handle m4", and 9997 more$/,
    );
    assert.equal(lines.filter((l) => l.includes("consumer.ts:88:7")).length, 1);
    assert.equal(lines.filter((l) => l.includes("consumer.ts:61:5")).length, 1);
    assert.match(text, /awaits timer 1000 ms, for 1 ms–5\.0 s, at:/);
    // Who resumed the code (Node's task queue) is not where it was created.
    assert.doesNotMatch(text, /processTicksAndRejections|node-internal/);
    assert.equal(lines[1], "10001 pending tasks, in 2 groups");
    assert.match(text, /node resources: Timeout 3, TCPSocketWrap 1/);
  });

  it("nests children under their parent, with only the frames the parent's do not show", () => {
    const text = renderDump(dump(message(22, 2000), "production"));
    const lines = text.split("\n");
    assert.equal(lines[1], "3 pending tasks, 1 top-level");
    const parent = lines.findIndex((l) =>
      l.startsWith('task 22 "handle cattle-ldo6" [pending 2.0 s]'),
    );
    const extend = lines.findIndex((l) => /^ {2}├ task 23 "extend cattle-ldo6" \[pending/.test(l));
    const cleanup = lines.findIndex((l) =>
      /^ {2}└ task 24 "cleanup cattle-ldo6" \[pending/.test(l),
    );
    assert.ok(parent > 0 && extend > parent && cleanup > extend, text);
    // The parent's creation frames are printed once, under the parent.
    assert.equal(lines.filter((l) => l.includes("consumer.ts:61:5")).length, 1);
    const extendLines = lines.slice(extend + 1, cleanup);
    assert.ok(
      extendLines.every((l) => l.startsWith("  │ ")),
      "the branch continues below extend",
    );
    assert.ok(extendLines.some((l) => l.includes("handler.ts:169:21")));
    assert.ok(lines.slice(cleanup + 1).some((l) => l.includes("handler.ts:179:21")));
    assert.doesNotMatch(text, /loopscope frame|task\.js/);
    assert.doesNotMatch(text, /parent 22/, "nesting says who the parent is");
  });

  it("groups identical subtrees, and tells apart those whose children differ", () => {
    const tasks = [
      ...message(10, 3000),
      ...message(20, 2000),
      ...message(30, 1000),
      ...message(40, 500, ["extend"]),
    ];
    const text = renderDump(dump(tasks, "production"));
    const lines = text.split("\n");
    assert.equal(lines[1], "11 pending tasks, 4 top-level, in 2 groups");
    const group = lines.findIndex((l) => l.startsWith("3 × handle cattle-… [pending 1.0 s–3.0 s]"));
    assert.ok(group > 0, text);
    assert.match(lines[group + 1]!, /e\.g\. 10 "handle cattle-wtor", 20 "handle cattle-nypw", 30 /);
    const branches = lines.slice(group).filter((l) => /^ {2}[├└] /.test(l));
    assert.match(branches[0]!, /^ {2}├ extend cattle-… \[pending 999 ms–3\.0 s\]$/);
    assert.match(branches[1]!, /^ {2}└ cleanup cattle-… \[pending/);
    assert.ok(lines.some((l) => /^ {2}│ {3}e\.g\. 11 "extend cattle-wtor", and 2 more$/.test(l)));
    // The message whose cleanup already finished is its own group.
    assert.ok(lines.some((l) => l.startsWith('task 40 "handle cattle-kgsh"')));
    assert.ok(lines.some((l) => /^ {2}└ task 41 "extend cattle-kgsh"/.test(l)));
  });

  it("a task whose parent finished is top-level and names its parent", () => {
    const [, child] = message(50, 100);
    const text = renderDump(dump([child!], "production"));
    assert.match(text, /^task 51 "extend cattle-ey7d" \[pending 99 ms, parent 50\]$/m);
    assert.match(text, /^1 pending task$/m);
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

describe("renderDump grouping: what the text shows decides", () => {
  const internal = (fn: string, line: number): Frame => ({
    fn,
    file: `node:internal/streams/${fn}`,
    line,
    col: 3,
    internal: true,
  });
  const task = (id: number, middle: Frame[]): TaskSnapshot => ({
    id,
    name: `read s${id}`,
    state: "pending",
    ageMs: 10,
    // Fresh arrays and frames per task, as resolved stacks are.
    createdAt: [
      { fn: "onData", file: "/app/src/reader.ts", line: 12, col: 5 },
      ...middle,
      { fn: "main", file: "/app/src/main.ts", line: 3, col: 1 },
    ],
  });

  it("groups tasks whose frames differ only inside a folded run of Node's frames", () => {
    const text = renderDump(
      dump(
        [
          task(1, [internal("addChunk", 1), internal("readableAddChunkPushByteMode", 2)]),
          task(2, [internal("addChunk", 1), internal("readableAddChunkPushObjectMode", 9)]),
        ],
        "production",
      ),
    );
    assert.match(text, /^2 × read s… \[pending 10 ms\]$/m);
    assert.match(text, /\.\.\. 2 node-internal frames/);
  });

  it("tells apart tasks whose lone Node frame differs, or whose folded runs differ in length", () => {
    const lone = renderDump(
      dump([task(1, [internal("a", 1)]), task(2, [internal("b", 1)])], "production"),
    );
    assert.match(lone, /^2 pending tasks$/m);
    assert.match(lone, /^task 1 /m);
    const runs = renderDump(
      dump(
        [
          task(1, [internal("a", 1), internal("b", 2)]),
          task(2, [internal("a", 1), internal("b", 2), internal("c", 3)]),
        ],
        "production",
      ),
    );
    assert.match(runs, /^task 2 /m);
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
    awaiting: { kind: "node", what: "node-internal", at: loaderFrames, sinceMs: 50 },
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
