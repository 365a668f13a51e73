/**
 * `loopscope top`'s state and picture without a terminal: what keys do, which answers it
 * takes, and that whatever the process sends is drawn inside the lines, without control
 * characters.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InspectorStatus, TaskQueryAnswer, TaskSnapshot } from "../../src/protocol/index.js";
import { PROTOCOL_VERSION } from "../../src/protocol/index.js";
import type { TopState } from "../../src/cli/top/state.js";
import {
  initialState,
  pressKey,
  rowsOf,
  taskQueryOf,
  withAnswer,
  withStatus,
} from "../../src/cli/top/state.js";
import { renderView, sanitize, sparkline } from "../../src/cli/top/view.js";

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
