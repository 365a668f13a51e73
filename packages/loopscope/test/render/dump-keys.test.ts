import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DumpKeys } from "../../src/render/dump-keys.js";
import type { Frame } from "../../src/protocol/index.js";

const app = (fn: string, line: number, col = 1): Frame => ({ fn, file: "/app/a.ts", line, col });
const node = (fn: string, line: number): Frame => ({
  fn,
  file: `node:internal/${fn}`,
  line,
  col: 1,
  internal: true,
});
const own = (fn: string): Frame => ({ fn, file: "/ls/task.js", line: 3, col: 1, loopscope: true });

describe("DumpKeys.frames", () => {
  it("gives equal frames in different arrays one id, and different frames different ids", () => {
    const keys = new DumpKeys();
    const a = keys.frames([app("f", 1), app("g", 2)]);
    assert.equal(keys.frames([app("f", 1), app("g", 2)]), a);
    assert.notEqual(keys.frames([app("f", 1), app("g", 3)]), a);
    assert.notEqual(keys.frames([app("f", 1), app("g", 2, 9)]), a);
    assert.notEqual(keys.frames([app("g", 2), app("f", 1)]), a);
    assert.notEqual(keys.frames([app("f", 1)]), a);
    assert.notEqual(keys.frames([{ ...app("f", 1), file: "/app/b.ts" }, app("g", 2)]), a);
  });

  it("ids a range of an array as the array cut there; the empty range is 0", () => {
    const keys = new DumpKeys();
    const frames = [app("f", 1), app("g", 2), app("h", 3)];
    assert.equal(keys.frames(frames, 2), keys.frames([app("f", 1), app("g", 2)]));
    assert.notEqual(keys.frames(frames, 2), keys.frames(frames));
    assert.equal(keys.frames(frames, 0), 0);
    assert.equal(keys.frames([]), 0);
  });

  it("compares what the text shows: folded runs by count and kind, no column without a line", () => {
    const keys = new DumpKeys();
    // `... 2 node-internal frames` either way.
    assert.equal(
      keys.frames([app("f", 1), node("a", 1), node("b", 2), app("g", 2)]),
      keys.frames([app("f", 1), node("c", 7), node("d", 8), app("g", 2)]),
    );
    // A lone internal frame is printed as it is.
    assert.notEqual(
      keys.frames([app("f", 1), node("a", 1), app("g", 2)]),
      keys.frames([app("f", 1), node("c", 7), app("g", 2)]),
    );
    // A lone loopscope frame is folded; a run's kind and length count.
    assert.equal(keys.frames([own("spawn"), app("f", 1)]), keys.frames([own("x"), app("f", 1)]));
    assert.notEqual(
      keys.frames([own("spawn"), node("a", 1), app("f", 1)]),
      keys.frames([node("b", 1), node("a", 1), app("f", 1)]),
    );
    assert.notEqual(
      keys.frames([node("a", 1), node("b", 2), app("f", 1)]),
      keys.frames([node("a", 1), node("b", 2), node("c", 3), app("f", 1)]),
    );
    const noLine = { fn: "Promise.all", file: "<anonymous>", line: 0, col: 0 };
    assert.equal(
      keys.frames([app("f", 1), noLine]),
      keys.frames([app("f", 1), { ...noLine, col: 5 }]),
    );
  });

  it("keeps ids distinct across many frames (the table grows)", () => {
    const keys = new DumpKeys();
    const ids = new Set<number>();
    for (let line = 1; line <= 5000; line++) ids.add(keys.frames([app("f", line), app("g", 1)]));
    assert.equal(ids.size, 5000);
    assert.equal(keys.frames([app("f", 1), app("g", 1)]), keys.frames([app("f", 1), app("g", 1)]));
    assert.ok(!ids.has(0));
  });
});

describe("DumpKeys.nameShape", () => {
  it("keys a name by its first word, digits aside", () => {
    const keys = new DumpKeys();
    const handle = keys.nameShape("handle cattle-ab12");
    assert.equal(keys.nameShape("handle m7"), handle);
    assert.equal(keys.nameShape("handle"), handle);
    assert.notEqual(keys.nameShape("handler x"), handle);
    assert.notEqual(keys.nameShape("handl"), handle);
    assert.equal(keys.nameShape("m17 x"), keys.nameShape("m3"));
    assert.notEqual(keys.nameShape("m17"), keys.nameShape("m"));
    assert.equal(keys.nameShape(""), keys.nameShape(" leading space"));
    assert.notEqual(keys.nameShape("x"), keys.nameShape(""));
  });
});
