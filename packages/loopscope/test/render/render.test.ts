import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { renderEvent, renderFrames } from "../../src/render/index.js";
import type { Frame, LoopscopeEvent } from "../../src/protocol/index.js";

const app = (fn: string, line: number): Frame => ({ fn, file: "/srv/app/main.js", line, col: 3 });
const internal = (fn: string): Frame => ({
  fn,
  file: "node:internal/timers",
  line: 1,
  col: 1,
  internal: true,
});
const own = (fn: string): Frame => ({
  fn,
  file: "/x/loopscope/dist/tasks/spawn.js",
  line: 1,
  col: 1,
  loopscope: true,
});

describe("renderFrames", () => {
  it("prints one `at fn (file:line:col)` line a frame", () => {
    assert.equal(
      renderFrames([app("inner", 10), app("outer", 20)]),
      "    at inner (/srv/app/main.js:10:3)\n    at outer (/srv/app/main.js:20:3)",
    );
  });

  it("folds runs of node-internal and loopscope frames, keeping the app's", () => {
    const text = renderFrames([
      app("handler", 1),
      internal("a"),
      internal("b"),
      own("c"),
      app("main", 2),
      own("d"),
      own("e"),
    ]);
    assert.equal(
      text,
      [
        "    at handler (/srv/app/main.js:1:3)",
        "    ... 3 node-internal and loopscope frames",
        "    at main (/srv/app/main.js:2:3)",
        "    ... 2 loopscope frames",
      ].join("\n"),
    );
  });

  it("shows a lone internal frame as it is", () => {
    assert.equal(
      renderFrames([app("handler", 1), internal("listOnTimeout")]),
      "    at handler (/srv/app/main.js:1:3)\n    at listOnTimeout (node:internal/timers:1:1)",
    );
  });

  it("folds loopscope's own frames even when alone: they are never the application's", () => {
    assert.equal(
      renderFrames([app("handler", 1), own("settleWith"), app("main", 2)]),
      [
        "    at handler (/srv/app/main.js:1:3)",
        "    ... 1 loopscope frame",
        "    at main (/srv/app/main.js:2:3)",
      ].join("\n"),
    );
  });

  it("folds nothing with fold: false, and honours indent", () => {
    const text = renderFrames([internal("a"), internal("b")], { fold: false, indent: "> " });
    assert.equal(text, "> at a (node:internal/timers:1:1)\n> at b (node:internal/timers:1:1)");
  });

  it("shows files under the current directory relative to it", () => {
    const frame: Frame = { fn: "f", file: join(process.cwd(), "src", "a.ts"), line: 4, col: 2 };
    assert.equal(renderFrames([frame]), `    at f (./${join("src", "a.ts")}:4:2)`);
  });

  it("prints frames without a position without one", () => {
    assert.equal(
      renderFrames([{ fn: "Promise.all", file: "<anonymous>", line: 0, col: 0 }]),
      "    at Promise.all (<anonymous>)",
    );
  });
});

describe("renderEvent", () => {
  const base = { time: 1_700_000_000_000, pid: 42 };
  const task = { id: 7, name: "handle cattle-ab12", createdAt: [app("consume", 5)] };

  it("says what happened on the first line, then where", () => {
    const event: LoopscopeEvent = {
      ...base,
      type: "loop-blocked",
      protocol: 1,
      durationMs: 1234.4,
      cause: "javascript",
      evidence: {},
      stack: [app("hash", 3)],
      count: 2,
      task,
      note: "captured after the block ended (native call)",
    };
    const lines = renderEvent(event).split("\n");
    assert.equal(
      lines[0],
      'loopscope: event loop blocked for 1234 ms by JavaScript (2 times) in task 7 "handle cattle-ab12"',
    );
    assert.equal(lines[1], "  (captured after the block ended (native call))");
    assert.equal(lines[2], "    at hash (/srv/app/main.js:3:3)");
    // The task is named with where it was created.
    assert.equal(lines[3], "  task created at:");
    assert.equal(lines[4], "    at consume (/srv/app/main.js:5:3)");
  });

  it("renders every event type without throwing and without mutating it", () => {
    const error = { name: "RestartFailed", message: "host down", stack: [app("restart", 9)] };
    const events: LoopscopeEvent[] = [
      {
        ...base,
        type: "unhandled-rejection",
        protocol: 1,
        error,
        stack: [],
        createdAt: [app("spawned", 1)],
      },
      { ...base, type: "task-exception-never-retrieved", protocol: 1, error, stack: [], task },
      {
        ...base,
        type: "blocking-call",
        protocol: 1,
        call: "fs.readFileSync",
        durationMs: 12,
        stack: [],
        count: 1,
      },
      { ...base, type: "slow-callback", protocol: 1, durationMs: 150, stack: [app("cb", 2)] },
      { ...base, type: "task-never-resumes", protocol: 1, task, stack: [app("waitForever", 30)] },
      { ...base, type: "task-dump", protocol: 1, mode: "production", tasks: [] },
    ];
    for (const event of events) {
      const copy = structuredClone(event);
      const text = renderEvent(event);
      assert.ok(text.length > 0);
      assert.deepEqual(event, copy);
    }
    assert.match(renderEvent(events[0]!), /unhandled rejection: RestartFailed: host down/);
    assert.match(renderEvent(events[0]!), /at restart/);
    assert.match(renderEvent(events[0]!), /created at:\n {4}at spawned/);
    assert.match(renderEvent(events[2]!), /blocking call fs\.readFileSync took 12 ms/);
    assert.match(renderEvent(events[2]!), /\(1 call from this line\)$/);
    assert.match(
      renderEvent(events[4]!),
      /task 7 "handle cattle-ab12" can never resume[^\n]*\n {4}at waitForever/,
    );
  });

  it("a blocking call: durations under 1 ms as fractions, and how many calls the report stands for", () => {
    const text = renderEvent({
      ...base,
      type: "blocking-call",
      protocol: 1,
      call: "fs.statSync",
      durationMs: 0.042,
      stack: [app("loadConfig", 10)],
      count: 37,
    });
    assert.equal(
      text.split("\n")[0],
      "loopscope: blocking call fs.statSync took 0.04 ms on the main thread (37 calls from this line since its last report, this one timed)",
    );
  });
});
