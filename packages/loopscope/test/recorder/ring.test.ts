/**
 * The recorder's ring on its own: its bounds (entries and estimated bytes) hold whatever
 * is pushed, every entry dropped to keep them is counted, entries past the time window go
 * without being counted, and long text is cut.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EntryRing, Kind, MAX_TEXT, errorText, shortText } from "../../src/recorder/index.js";

describe("the recorder's ring", () => {
  it("keeps at most maxEntries, the newest, and counts the rest as dropped", () => {
    const ring = new EntryRing({ maxEntries: 100, maxBytes: 1_000_000 });
    for (let i = 1; i <= 10_000; i++) ring.push(i, Kind.TaskStart, i, `task ${i}`, undefined, NaN);
    assert.equal(ring.size, 100);
    assert.equal(ring.dropped, 10_000 - 100);
    const slots = ring.slotsNewestFirst(0, Infinity);
    assert.equal(slots.length, 100);
    assert.equal(ring.entryAt(slots[0]!, 0).task?.id, 10_000);
    assert.equal(ring.entryAt(slots.at(-1)!, 0).task?.id, 10_000 - 99);
  });

  it("keeps its estimated bytes within maxBytes, counting what it drops for them", () => {
    const ring = new EntryRing({ maxEntries: 1_000, maxBytes: 10_000 });
    const name = "n".repeat(MAX_TEXT);
    for (let i = 1; i <= 1_000; i++) {
      ring.push(i, Kind.TaskEnd, i, name, "failed", NaN);
      assert.ok(ring.bytes <= 10_000, `${ring.bytes} bytes after ${i} entries`);
    }
    assert.ok(ring.size < 1_000, `the bytes bound, not the count, held it: ${ring.size} entries`);
    assert.equal(ring.dropped, 1_000 - ring.size);
    // What it keeps is what it estimates: the same entries, counted again.
    assert.ok(ring.bytes > 0);
  });

  it("lets entries past its window go, without counting them as dropped", () => {
    const ring = new EntryRing({ maxEntries: 100, maxBytes: 1_000_000, windowMs: 1_000 });
    for (let i = 0; i < 10; i++) ring.push(i, Kind.Gc, 0, undefined, "minor", 6);
    ring.expire(5);
    assert.equal(ring.size, 5);
    assert.equal(ring.dropped, 0);
    // A new entry far later lets one old entry go as it comes; `expire` the rest.
    ring.push(10_000, Kind.TaskStart, 1, "late", undefined, NaN);
    assert.equal(ring.size, 5);
    ring.expire(10_000 - 1_000);
    assert.equal(ring.size, 1);
    assert.equal(ring.dropped, 0);
  });

  it("reads entries back as protocol data", () => {
    const ring = new EntryRing({ maxEntries: 10, maxBytes: 10_000 });
    ring.push(100.4, Kind.LoopBlocked, 7, "handle cattle-ab12", "javascript", 250.26);
    ring.push(101, Kind.Gc, 0, undefined, "major", 12);
    const [gc, block] = ring.slotsNewestFirst(0, 1_000).map((slot) => ring.entryAt(slot, 1_000));
    assert.deepEqual(block, {
      time: 1_100,
      kind: "loop-blocked",
      task: { id: 7, name: "handle cattle-ab12", createdAt: [] },
      durationMs: 250.3,
      detail: "javascript",
    });
    assert.deepEqual(gc, { time: 1_101, kind: "gc", durationMs: 12, detail: "major" });
  });
});

describe("the recorder's text", () => {
  it("cuts long text to MAX_TEXT characters, whole characters only", () => {
    assert.equal(shortText("short"), "short");
    const cut = shortText("x".repeat(1_000));
    assert.equal(cut.length, MAX_TEXT);
    assert.ok(cut.endsWith("…"));
    // A surrogate pair across the cut is not split.
    const emoji = shortText(`${"x".repeat(MAX_TEXT - 2)}😀😀😀`);
    assert.ok(!/[\uD800-\uDBFF]…$/.test(emoji), emoji);
  });

  it("describes what was thrown, whatever it is, without throwing", () => {
    assert.equal(errorText(new TypeError("bad")), "TypeError: bad");
    assert.equal(errorText("a string"), "a string");
    assert.equal(errorText(42), "42");
    const hostile = {
      toString() {
        throw new Error("no");
      },
    };
    assert.equal(errorText(hostile), "(a value that cannot be shown)");
  });
});
