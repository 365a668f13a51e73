/**
 * `loopscope top`'s state and picture without a terminal: what keys do, which answers it
 * takes, and that whatever the process sends is drawn inside the lines, without control
 * characters.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type {
  InspectorStatus,
  LoopBlockedEvent,
  RecorderAnswer,
  RecorderEntry,
  RecorderWindow,
  TaskQueryAnswer,
  TaskSnapshot,
} from "../../src/protocol/index.js";
import { PROTOCOL_VERSION } from "../../src/protocol/index.js";
import type { TopState } from "../../src/cli/top/state.js";
import {
  initialState,
  pressKey,
  rowsOf,
  taskQueryOf,
  withAnswer,
  withBlocks,
  withRecorder,
  withStatus,
} from "../../src/cli/top/state.js";
import { causeWord, renderView, sanitize, sparkline } from "../../src/cli/top/view.js";

function task(id: number, name: string, ageMs: number): TaskSnapshot {
  return {
    id,
    name,
    state: "pending",
    ageMs,
    createdAt: [{ fn: "spawnAll", file: "/srv/app.js", line: 10 + id, col: 3 }],
    awaiting: { kind: "timer", what: `timer ${id} ms`, at: [], sinceMs: ageMs },
  };
}

function answer(state: TopState, tasks: readonly TaskSnapshot[]): TaskQueryAnswer {
  return {
    protocol: PROTOCOL_VERSION,
    type: "tasks",
    query: taskQueryOf(state),
    stale: false,
    computedAt: 0,
    mode: "production",
    total: tasks.length,
    matched: tasks.length,
    tasks,
    unsampled: 0,
  };
}

const status: InspectorStatus = {
  protocol: PROTOCOL_VERSION,
  type: "status",
  pid: 42,
  node: "v22.0.0",
  command: "app.js",
  uptimeMs: 5_000,
  memory: { rss: 1 << 26, heapUsed: 1 << 24, heapTotal: 1 << 25, external: 0 },
  mode: "production",
  control: false,
  tasksPending: 3,
  dropped: { events: 0, slowClients: 0, badRequests: 0 },
  time: 0,
};

const tasks = [task(1, "handle b", 300), task(2, "handle a", 900), task(3, "handle c", 100)];

function loaded(): TopState {
  const state = withStatus(initialState("pid 42"), status);
  return withAnswer(state, answer(state, tasks));
}

const names = (state: TopState): string[] =>
  rowsOf(state).map((row) => (row.kind === "task" ? row.task.name : row.group.label));

describe("top's state", () => {
  it("sorts by any column, and again in reverse", () => {
    let state = loaded();
    assert.deepEqual(names(state), ["handle a", "handle b", "handle c"]); // oldest first
    state = pressKey(state, "1", 10).state; // id, ascending
    assert.deepEqual(names(state), ["handle b", "handle a", "handle c"]);
    state = pressKey(state, "1", 10).state;
    assert.deepEqual(names(state), ["handle c", "handle a", "handle b"]);
    state = pressKey(state, "6", 10).state; // what it awaits: "timer 1 ms" first
    assert.deepEqual(names(state), ["handle b", "handle a", "handle c"]);
  });

  it("asks the process again when the filter, grouping or the server's order changes, and drops answers to an older query", () => {
    let state = loaded();
    let result = pressKey(state, "/", 10);
    assert.equal(result.effect, undefined);
    result = pressKey(result.state, "q", 10); // typed, not quit
    assert.deepEqual(result.effect, { type: "query" });
    state = result.state;
    assert.equal(state.filter, "q");
    assert.equal(taskQueryOf(state).name, "q");
    // A push for the query before the filter changes nothing.
    const old = answer({ ...state, filter: "" }, [task(9, "stale", 1)]);
    assert.equal(withAnswer(state, old), state);
    // The id column sorts here; the name column asks the process for its order.
    assert.equal(pressKey(state, "ENTER", 10).state.typingFilter, false);
    assert.equal(pressKey({ ...state, typingFilter: false }, "1", 10).effect, undefined);
    assert.deepEqual(pressKey({ ...state, typingFilter: false }, "2", 10).effect, {
      type: "query",
    });
  });

  it("keeps the selection on its task as rows come and go", () => {
    let state = loaded();
    state = pressKey(state, "DOWN", 10).state;
    assert.equal(names(state)[state.selected], "handle b");
    state = withAnswer(state, answer(state, [task(4, "newest", 5000), ...tasks]));
    assert.equal(names(state)[state.selected], "handle b");
  });

  it("cancels only when the process allows control, and only after y", () => {
    const state = loaded();
    const refused = pressKey(state, "c", 10);
    assert.equal(refused.effect, undefined);
    assert.match(refused.state.message?.text ?? "", /LOOPSCOPE_INSPECT_CONTROL=1/);

    const allowed = withStatus(state, { ...status, control: true });
    const asked = pressKey(allowed, "c", 10);
    assert.deepEqual(asked.state.confirmCancel, { id: 2, name: "handle a" });
    assert.equal(pressKey(asked.state, "n", 10).effect, undefined);
    assert.deepEqual(pressKey(asked.state, "y", 10).effect, { type: "cancel", id: 2 });
  });

  it("quits on q and on Ctrl-C, even while typing a filter", () => {
    assert.deepEqual(pressKey(loaded(), "q", 10).effect, { type: "quit" });
    const typing = pressKey(loaded(), "/", 10).state;
    assert.deepEqual(pressKey(typing, "CTRL_C", 10).effect, { type: "quit" });
  });
});

describe("top's picture", () => {
  it("fills exactly the terminal, whatever its size", () => {
    for (const [width, height] of [
      [40, 8],
      [80, 24],
      [200, 60],
    ] as const) {
      const lines = renderView(loaded(), width, height);
      assert.equal(lines.length, height);
      for (const line of lines) {
        const cells = line.reduce((sum, segment) => sum + [...segment.text].length, 0);
        assert.ok(cells <= width, `${cells} cells in a ${width}-wide terminal`);
      }
    }
  });

  it("counts in the footer only what the rows answer: 'asking…' until the new filter's answer comes", () => {
    const footer = (state: TopState): string =>
      renderView(state, 120, 20)
        .at(-1)!
        .map((segment) => segment.text)
        .join("");
    let state = loaded();
    assert.match(footer(state), /3 of 3 matching/);
    state = pressKey(state, "/", 10).state;
    state = pressKey(state, "a", 10).state;
    state = pressKey(state, "ENTER", 10).state;
    // The rows are still the unfiltered answer's.
    assert.equal(rowsOf(state).length, 3);
    assert.match(footer(state), /asking… · name ~ "a"/);
    assert.doesNotMatch(footer(state), /matching/);
    state = withAnswer(state, answer(state, [task(2, "handle a", 900)]));
    assert.match(footer(state), /1 of 1 matching · name ~ "a"/);
  });

  it("never draws a control character the process sent", () => {
    const state = loaded();
    const evil = withAnswer(
      state,
      answer(state, [task(7, "evil\u001b[2J\u001b]0;owned\u0007\r\nname", 50)]),
    );
    const text = renderView(evil, 120, 20)
      .flat()
      .map((segment) => segment.text)
      .join("");
    assert.ok(text.includes("evil"));
    // eslint-disable-next-line no-control-regex -- what must not be there
    assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f]/);
    assert.equal(sanitize("a\u009bb"), "a�b");
  });

  it("scales the sparkline to its largest value", () => {
    const samples = [1, 2, 4, 8].map((delayP99Ms, time) => ({
      time,
      delayP50Ms: 0,
      delayP99Ms,
      delayMaxMs: delayP99Ms,
      utilization: 0,
      tasksPending: 0,
    }));
    assert.equal(sparkline(samples, 4), "▁▂▄█");
    assert.equal(sparkline(samples, 2), "▄█");
  });
});

const END = 1_700_000_003_000;

function recorderWindow(entries: readonly RecorderEntry[]): RecorderWindow {
  return {
    from: END - 10_000,
    until: END,
    entries,
    omitted: 2,
    dropped: 31,
    startsLastSecond: { count: 3, names: [{ name: "handle", count: 3 }], seen: 3 },
  };
}

const taskRef = (id: number, name: string) => ({ id, name, createdAt: [] });

const ENTRIES: readonly RecorderEntry[] = [
  { time: END - 2410, kind: "task-start", task: taskRef(7, "handle cattle-ab12") },
  { time: END - 1300, kind: "gc", durationMs: 12, detail: "major" },
  { time: END - 1210, kind: "task-end", task: taskRef(6, "save cattle-9f0c"), detail: "failed" },
  { time: END - 420, kind: "blocking-call", durationMs: 30, detail: "fs.readFileSync" },
];

function block(fields: Partial<LoopBlockedEvent> = {}): LoopBlockedEvent {
  return {
    protocol: PROTOCOL_VERSION,
    type: "loop-blocked",
    time: END + 5,
    pid: 42,
    durationMs: 1204,
    count: 1,
    endedAt: END,
    cause: "native-call",
    evidence: { cpuMs: 1190, gcMs: 3, captures: 5, callbacks: 1, nativeCall: "JSON.parse" },
    stack: [{ fn: "handle", file: "/srv/server.js", line: 12, col: 5 }],
    task: taskRef(7, "handle cattle-ab12"),
    recorder: recorderWindow(ENTRIES),
    ...fields,
  };
}

const BLOCKS: Record<string, LoopBlockedEvent> = {
  "native JSON.parse": block(),
  "many ≥12": block({
    cause: "many-callbacks",
    durationMs: 261,
    stack: [],
    evidence: {
      captures: 12,
      callbacks: 12,
      functions: [{ frame: { fn: "tick", file: "/srv/app.js", line: 20, col: 3 }, seen: 7 }],
    },
  }),
  "gc 640 ms": block({ cause: "gc", durationMs: 800, evidence: { gcMs: 640, cpuMs: 790 } }),
  paused: block({ cause: "host-paused", durationMs: 600, stack: [], evidence: { pausedMs: 600 } }),
  js: block({ cause: "javascript", evidence: { cpuMs: 1200, captures: 6, callbacks: 1 } }),
  unknown: block({ cause: "unknown", evidence: {} }),
};

const textOf = (lines: readonly (readonly { text: string }[])[]): string[] =>
  lines.map((line) => line.map((segment) => segment.text).join(""));

describe("top's blocks and flight recorder", () => {
  it("names each block's cause in a short word with its key figure", () => {
    for (const [word, event] of Object.entries(BLOCKS)) assert.equal(causeWord(event), word);
    // A report from a loopscope that sent no cause (fields are added without a version step).
    const { cause: _cause, evidence: _evidence, ...older } = block();
    assert.equal(causeWord(older as LoopBlockedEvent), "unknown");

    const state = withBlocks(initialState("pid 42"), Object.values(BLOCKS).reverse());
    const loop = textOf(renderView(state, 140, 30))[1]!;
    assert.match(loop, /last block 1204 ms native JSON\.parse at handle \(\/srv\/server\.js:12\)/);
    const blocks = textOf(renderView(pressKey(state, "b", 10).state, 140, 40)).join("\n");
    assert.match(
      blocks,
      /blocked 1204 ms · native JSON\.parse in task 7 "handle cattle-ab12" · cpu 1190 ms/,
    );
    assert.match(
      blocks,
      /blocked 261 ms · many ≥12 in task 7 .* · 12 captures in 12 callbacks\n {2}seen 7× tick \(\/srv\/app\.js:20:3\)/,
    );
    assert.match(blocks, /blocked 800 ms · gc 640 ms in task 7/);
    assert.match(
      blocks,
      /blocked 600 ms · paused in task 7 .*\n {2}the process was not running: no code to blame/,
    );
    // A GC or a pause blames no line; many callbacks, the one seen most.
    const lastBlock = (event: LoopBlockedEvent): string =>
      textOf(renderView(withBlocks(initialState("x"), [event]), 140, 10))[1]!;
    assert.match(lastBlock(BLOCKS["gc 640 ms"]!), /last block 800 ms gc 640 ms$/);
    assert.match(lastBlock(BLOCKS.paused!), /last block 600 ms paused$/);
    assert.match(
      lastBlock(BLOCKS["many ≥12"]!),
      /last block 261 ms many ≥12 seen most tick \(\/srv\/app\.js:20\)$/,
    );
  });

  it("f shows the latest block's recorder window, oldest first, each entry at its time before the block's end", () => {
    const state = withBlocks(initialState("pid 42"), [
      block({ endedAt: END - 60_000, recorder: undefined }),
      block(),
    ]);
    const opened = pressKey(state, "f", 10);
    assert.equal(opened.effect, undefined, "the block's own window needs no question");
    assert.equal(opened.state.view, "recorder");
    const text = textOf(renderView(opened.state, 120, 24));
    const body = text.join("\n");
    assert.match(
      body,
      /flight recorder · before the latest block, ended \d\d:\d\d:\d\d: 1204 ms native JSON\.parse/,
    );
    assert.match(body, /10\.0 s up to \S+ · 4 entries · 2 omitted · 31 dropped by its bounds/);
    assert.match(body, /tasks started in the last second: 3 \(handle 3\)/);
    const entries = text.filter((line) => /^\s+-\d+\.\d\d s {2}/.test(line));
    assert.deepEqual(
      entries.map((line) => line.trim().replace(/\s+/g, " ")),
      [
        '-2.41 s task-start task 7 "handle cattle-ab12"',
        "-1.30 s gc major, 12 ms",
        '-1.21 s task-end task 6 "save cattle-9f0c": failed',
        "-0.42 s blocking-call fs.readFileSync, 30 ms",
      ],
    );
    assert.match(text.at(-1)!, /Esc back · l live\/last block/);
    // f again, or Esc, goes back to the table.
    assert.equal(pressKey(opened.state, "f", 10).state.view, "tasks");
    assert.equal(pressKey(opened.state, "ESCAPE", 10).state.view, "tasks");
  });

  it("without a window in the latest block, f asks the process for its last seconds; l switches between the two", () => {
    const none = withBlocks(initialState("pid 42"), [block({ recorder: undefined })]);
    const asked = pressKey(none, "f", 10);
    assert.deepEqual(asked.effect, { type: "recorder" });
    assert.match(
      textOf(renderView(asked.state, 120, 20)).join("\n"),
      /asking the process for its flight recorder/,
    );
    const answer = (window?: RecorderWindow): RecorderAnswer => ({
      protocol: PROTOCOL_VERSION,
      type: "recorder",
      stale: false,
      computedAt: END,
      ...(window === undefined ? {} : { window }),
    });
    const live = withRecorder(asked.state, answer(recorderWindow(ENTRIES.slice(0, 2))));
    const text = textOf(renderView(live, 120, 20)).join("\n");
    assert.match(text, /the process's last seconds, asked now/);
    assert.match(text, /-2\.41 s\s+task-start\s+task 7 "handle cattle-ab12"/);
    assert.doesNotMatch(text, /blocking-call/);
    const off = withRecorder(asked.state, answer());
    assert.match(
      textOf(renderView(off, 120, 20)).join("\n"),
      /flight recorder is off in this process/,
    );
    // An answer that comes after the view was left is not kept.
    assert.equal(withRecorder({ ...asked.state, view: "tasks" }, answer()).liveRecorder, undefined);

    // With a block's window: l asks for the live one, and l again goes back.
    const withWindow = withBlocks(initialState("pid 42"), [block()]);
    const fromBlock = pressKey(withWindow, "f", 10).state;
    const toLive = pressKey(fromBlock, "l", 10);
    assert.deepEqual(toLive.effect, { type: "recorder" });
    assert.equal(toLive.state.recorderSource, "live");
    const back = pressKey(toLive.state, "l", 10);
    assert.equal(back.effect, undefined);
    assert.equal(back.state.recorderSource, "block");
  });

  it("shows a long window's newest entries that fit, and scrolls back with the arrows", () => {
    const many: RecorderEntry[] = Array.from({ length: 40 }, (_, i) => ({
      time: END - (40 - i) * 100,
      kind: "task-start",
      task: taskRef(i, `job ${i}`),
    }));
    let state = pressKey(
      withBlocks(initialState("pid 42"), [block({ recorder: recorderWindow(many) })]),
      "f",
      10,
    ).state;
    const shownJobs = (): string[] =>
      textOf(renderView(state, 120, 20)).flatMap((line) => /"(job \d+)"/.exec(line)?.[1] ?? []);
    let jobs = shownJobs();
    assert.equal(jobs.at(-1), "job 39");
    assert.ok(jobs.length >= 10 && jobs.length < 40, jobs.join());
    assert.match(
      textOf(renderView(state, 120, 20)).join("\n"),
      new RegExp(`entries ${41 - jobs.length}–40 of 40 \\(↑ ↓ scroll\\)`),
    );
    state = pressKey(state, "UP", 10).state;
    assert.equal(shownJobs().at(-1), "job 38");
    state = pressKey(state, "HOME", 10).state;
    jobs = shownJobs();
    assert.equal(jobs[0], "job 0");
    state = pressKey(state, "END", 10).state;
    assert.equal(shownJobs().at(-1), "job 39");
  });

  it("documents the recorder's key in the help and the footer", () => {
    const help = textOf(renderView(pressKey(loaded(), "?", 10).state, 120, 30)).join("\n");
    assert.match(help, /^f\s+flight recorder/m);
    assert.match(textOf(renderView(loaded(), 160, 20)).at(-1)!, /f recorder/);
  });
});
