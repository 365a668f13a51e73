import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  captureCallerStack,
  captureStack,
  parseStack,
  parseStackLine,
  resolveStack,
  withFrameCache,
} from "../../src/stacks/frames.js";

const thisFile = fileURLToPath(import.meta.url);

describe("parseStackLine", () => {
  it("reads `at fn (file:line:col)`", () => {
    assert.deepEqual(parseStackLine("    at handle (/srv/app/handler.js:12:5)"), {
      fn: "handle",
      file: "/srv/app/handler.js",
      line: 12,
      col: 5,
    });
  });

  it("reads a location without a function name", () => {
    assert.deepEqual(parseStackLine("    at /srv/app/main.js:3:1"), {
      fn: "<anonymous>",
      file: "/srv/app/main.js",
      line: 3,
      col: 1,
    });
  });

  it("reads async frames and keeps the function name without `async`", () => {
    assert.deepEqual(parseStackLine("    at async Consumer.pull (/srv/app/consumer.js:40:7)"), {
      fn: "Consumer.pull",
      file: "/srv/app/consumer.js",
      line: 40,
      col: 7,
    });
  });

  it("reads constructor frames and aliases", () => {
    assert.equal(parseStackLine("    at new Broker (/srv/b.js:1:2)")?.fn, "new Broker");
    assert.equal(
      parseStackLine("    at Object.run [as handler] (/srv/b.js:1:2)")?.fn,
      "Object.run [as handler]",
    );
  });

  it("turns file:// URLs into paths", () => {
    const frame = parseStackLine("    at main (file:///srv/my%20app/main.mjs:7:9)");
    assert.equal(frame?.file, "/srv/my app/main.mjs");
    assert.equal(frame?.line, 7);
  });

  it("marks node-internal frames", () => {
    const frame = parseStackLine(
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
    );
    assert.deepEqual(frame, {
      fn: "process.processTicksAndRejections",
      file: "node:internal/process/task_queues",
      line: 95,
      col: 5,
      internal: true,
    });
    assert.equal(
      parseStackLine("    at listOnTimeout (internal/timers.js:554:17)")?.internal,
      true,
    );
  });

  it("points eval frames at the eval call site", () => {
    const frame = parseStackLine(
      "    at zz (eval at <anonymous> (file:///tmp/pst.mjs:14:1), <anonymous>:1:27)",
    );
    assert.deepEqual(frame, { fn: "zz", file: "/tmp/pst.mjs", line: 14, col: 1 });
  });

  it("keeps built-ins without a position", () => {
    assert.deepEqual(parseStackLine("    at Generator.next (<anonymous>)"), {
      fn: "Generator.next",
      file: "<anonymous>",
      line: 0,
      col: 0,
      internal: true,
    });
    assert.equal(parseStackLine("    at async Promise.all (index 0)")?.fn, "Promise.all");
    assert.equal(parseStackLine("    at <anonymous>")?.fn, "<anonymous>");
  });

  it("reads Windows paths", () => {
    const frame = parseStackLine("    at run (C:\\app\\main.js:10:3)");
    assert.deepEqual(frame, { fn: "run", file: "C:\\app\\main.js", line: 10, col: 3 });
  });

  it("ignores lines that are not frames", () => {
    assert.equal(parseStackLine("Error: boom"), undefined);
    assert.equal(parseStackLine(""), undefined);
  });
});

describe("parseStack", () => {
  it("skips the message, even on several lines, and keeps frames in order", () => {
    const frames = parseStack(
      [
        "Error: first line",
        "second line of the message",
        "    at inner (/a.js:1:1)",
        "    at outer (/a.js:2:2)",
      ].join("\n"),
    );
    assert.deepEqual(
      frames.map((f) => f.fn),
      ["inner", "outer"],
    );
  });

  it("reads a real Error.stack, innermost first", () => {
    function innermostFunction(): Error {
      return new Error("here");
    }
    const frames = parseStack(innermostFunction().stack ?? "");
    assert.equal(frames[0]?.fn, "innermostFunction");
    assert.equal(frames[0]?.file, thisFile);
  });
});

describe("captureStack + resolveStack", () => {
  function captureHere(): ReturnType<typeof captureStack> {
    return captureStack();
  }

  it("starts at the caller of captureStack and names this file", () => {
    const frames = resolveStack(captureHere());
    assert.equal(frames[0]?.fn, "captureHere");
    assert.equal(frames[0]?.file, thisFile);
    assert.ok((frames[0]?.line ?? 0) > 0);
  });

  it("skips frames above skipAbove", () => {
    function outerCaller(): ReturnType<typeof captureStack> {
      return innerHelper();
    }
    function innerHelper(): ReturnType<typeof captureStack> {
      return captureStack(innerHelper);
    }
    assert.equal(resolveStack(outerCaller())[0]?.fn, "outerCaller");
  });

  it("captures at most `limit` frames and leaves Error.stackTraceLimit as it was", () => {
    const before = Error.stackTraceLimit;
    function deep(n: number): ReturnType<typeof captureStack> {
      return n === 0 ? captureStack(undefined, 3) : deep(n - 1);
    }
    assert.equal(resolveStack(deep(10)).length, 3);
    assert.equal(Error.stackTraceLimit, before);
  });

  it("leaves the application's Error.prepareStackTrace in place and unused", () => {
    const appPrepare = (): string => "the application's own format";
    // eslint-disable-next-line @typescript-eslint/unbound-method -- saved and restored, not called
    const previous = Error.prepareStackTrace;
    Error.prepareStackTrace = appPrepare;
    try {
      const frames = resolveStack(captureHere());
      assert.equal(frames[0]?.fn, "captureHere");
      assert.equal(Error.prepareStackTrace === appPrepare, true);
    } finally {
      Error.prepareStackTrace = previous;
    }
  });

  it("resolves once: a second call returns the same frames", () => {
    const raw = captureHere();
    assert.equal(resolveStack(raw), resolveStack(raw));
  });

  it("names methods with their type, and constructors with new", () => {
    class Herd {
      captured: ReturnType<typeof captureStack>;
      constructor() {
        this.captured = captureStack();
      }
      method(): ReturnType<typeof captureStack> {
        return captureStack();
      }
    }
    const herd = new Herd();
    assert.equal(resolveStack(herd.captured)[0]?.fn, "new Herd");
    assert.equal(resolveStack(herd.method())[0]?.fn, "Herd.method");
  });

  it("marks loopscope's own frames, source and built", () => {
    const ownSource = fileURLToPath(new URL("../../src/stacks/frames.ts", import.meta.url));
    const ownBuilt = fileURLToPath(new URL("../../dist/events/stream.js", import.meta.url));
    assert.equal(parseStackLine(`    at captureStack (${ownSource}:40:3)`)?.loopscope, true);
    assert.equal(parseStackLine(`    at emit (${ownBuilt}:50:3)`)?.loopscope, true);
    assert.equal(resolveStack(captureHere())[0]?.loopscope, undefined);
  });
});

describe("captureCallerStack", () => {
  it("starts below the function that calls it, with at most `limit` frames", () => {
    const before = Error.stackTraceLimit;
    function outerCaller(): ReturnType<typeof captureStack> {
      return hotPath();
    }
    function hotPath(): ReturnType<typeof captureStack> {
      return captureCallerStack(2);
    }
    const frames = resolveStack(outerCaller());
    assert.equal(frames[0]?.fn, "outerCaller");
    assert.equal(frames.length, 2);
    assert.equal(Error.stackTraceLimit, before);
  });

  it("resolves like captureStack with skipAbove", () => {
    function viaCaller(): ReturnType<typeof captureStack> {
      return captureCallerStack(5);
    }
    function viaSkip(): ReturnType<typeof captureStack> {
      return captureStack(viaSkip, 5);
    }
    function site(capture: () => ReturnType<typeof captureStack>): readonly unknown[] {
      return resolveStack(capture()).map((f) => [f.fn, f.file]);
    }
    assert.deepEqual(site(viaCaller), site(viaSkip));
  });
});

describe("withFrameCache", () => {
  class Herd {
    captured: ReturnType<typeof captureStack>[] = [];
    constructor() {
      this.captured.push(captureStack());
    }
    method(): ReturnType<typeof captureStack> {
      return captureStack();
    }
  }
  function plain(): ReturnType<typeof captureStack> {
    return captureStack();
  }

  it("resolves as without it, sharing frames and identical stacks", () => {
    function captureAll(): ReturnType<typeof captureStack>[] {
      return [plain(), new Herd().captured[0]!, new Herd().method()];
    }
    const rounds: ReturnType<typeof captureStack>[][] = [];
    for (let i = 0; i < 4; i++) rounds.push(captureAll());
    const alone = rounds[0]!.map((raw) => resolveStack(raw));
    const cached = withFrameCache(() =>
      rounds.slice(1).map((r) => r.map((raw) => resolveStack(raw))),
    );
    for (const round of cached) assert.deepEqual(round, alone);
    assert.deepEqual(
      alone.map((frames) => frames[0]?.fn),
      ["plain", "new Herd", "Herd.method"],
    );
    // Captured at one place three times: one array (of the same frames) per place.
    for (let k = 0; k < 3; k++) {
      assert.equal(cached[0]![k], cached[1]![k]);
      assert.equal(cached[0]![k], cached[2]![k]);
    }
    assert.notEqual(cached[0]![0], cached[0]![1]);
  });

  it("tells apart one position reached as a method of different types", () => {
    class Cow {
      where(): ReturnType<typeof captureStack> {
        return captureStack();
      }
    }
    class Calf extends Cow {}
    const frames = withFrameCache(() => [
      resolveStack(new Cow().where()),
      resolveStack(new Calf().where()),
    ]);
    assert.equal(frames[0]![0]!.fn, "Cow.where");
    assert.equal(frames[1]![0]!.fn, "Calf.where");
  });
});
