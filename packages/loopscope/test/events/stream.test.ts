import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { configureEvents, emit, eventStats, flushEvents, onEvent } from "../../src/events/index.js";
import { resetEventsForTests } from "../../src/events/stream.js";
import type { LoopscopeEvent } from "../../src/protocol/index.js";

const blocked = (durationMs: number): LoopscopeEvent => ({
  type: "loop-blocked",
  protocol: 1,
  time: 1_700_000_000_000 + durationMs,
  cause: "javascript",
  evidence: {},
  pid: process.pid,
  durationMs,
  stack: [{ fn: "spin", file: "/srv/app.js", line: 3, col: 5 }],
  count: 1,
});

const readLines = (file: string): unknown[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as unknown);

/** Collect what is written to stderr while `fn` runs. */
async function captureStderr(fn: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array): boolean => {
    chunks.push(String(chunk));
    return true;
  };
  try {
    await fn();
  } finally {
    process.stderr.write = original;
  }
  return chunks.join("");
}

describe("event stream", () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "loopscope-events-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => resetEventsForTests());
  afterEach(() => resetEventsForTests());

  it("delivers events to subscribers synchronously, until they unsubscribe", () => {
    const seen: LoopscopeEvent[] = [];
    const unsubscribe = onEvent((event) => seen.push(event));
    const event = blocked(1);
    emit(event);
    assert.deepEqual(seen, [event]);
    unsubscribe();
    emit(blocked(2));
    assert.equal(seen.length, 1);
  });

  it("keeps a throwing subscriber away from the emitter", () => {
    const seen: number[] = [];
    onEvent(() => {
      throw new Error("subscriber bug");
    });
    onEvent(() => seen.push(1));
    assert.doesNotThrow(() => emit(blocked(1)));
    assert.deepEqual(seen, [1]);
  });

  it("appends one JSON object a line to the events file, keeping what was there", async () => {
    const file = join(dir, "append.jsonl");
    writeFileSync(file, '{"earlier":true}\n');
    configureEvents({ file });
    const events = [blocked(1), blocked(2), blocked(3)];
    events.forEach(emit);
    await flushEvents();
    assert.deepEqual(readLines(file), [{ earlier: true }, ...events]);
    assert.deepEqual(eventStats(), { emitted: 3, dropped: 0, written: 3 });
  });

  it("is bounded: beyond maxQueued it drops and counts", async () => {
    const file = join(dir, "bounded.jsonl");
    configureEvents({ file, maxQueued: 3 });
    for (let i = 1; i <= 5; i++) emit(blocked(i));
    await flushEvents();
    assert.deepEqual(eventStats(), { emitted: 5, dropped: 2, written: 3 });
    assert.deepEqual(
      readLines(file).map((e) => (e as { durationMs: number }).durationMs),
      [1, 2, 3],
    );
  });

  it("never throws on an unwritable file: it says so once and counts the drops", async () => {
    const file = join(dir, "no-such-dir", "events.jsonl");
    const stderr = await captureStderr(async () => {
      configureEvents({ file });
      assert.doesNotThrow(() => emit(blocked(1)));
      emit(blocked(2));
      await flushEvents();
    });
    assert.equal(stderr.match(/cannot write events to/g)?.length, 1);
    assert.match(stderr, /no-such-dir/);
    assert.deepEqual(eventStats(), { emitted: 2, dropped: 2, written: 0 });
  });

  it("prints each event readably on stderr, off the emitter's path", async () => {
    let printedDuringEmit = "";
    const stderr = await captureStderr(async () => {
      configureEvents({ stderr: true });
      emit(blocked(250));
      printedDuringEmit = "nothing";
      await flushEvents();
    });
    assert.equal(printedDuringEmit, "nothing");
    assert.match(
      stderr,
      /^loopscope: event loop blocked for 250 ms by JavaScript\n {4}at spin \(\/srv\/app\.js:3:5\)\n/,
    );
  });

  it("queues nothing when no output is configured", async () => {
    emit(blocked(1));
    await flushEvents();
    assert.deepEqual(eventStats(), { emitted: 1, dropped: 0, written: 0 });
  });

  it("rejects a bad maxQueued with a TypeError naming it", () => {
    assert.throws(() => configureEvents({ maxQueued: 0 }), {
      name: "TypeError",
      message: "configureEvents: maxQueued must be a positive integer, got 0",
    });
  });

  it("writes what is still queued when the process exits", () => {
    const file = join(dir, "at-exit.jsonl");
    const eventsModule = new URL("../../src/events/index.ts", import.meta.url).href;
    const script = `
      import { configureEvents, emit } from ${JSON.stringify(eventsModule)};
      configureEvents({ file: ${JSON.stringify(file)} });
      emit({ type: "slow-callback", protocol: 1, time: 1, pid: process.pid, durationMs: 150, stack: [] });
      process.exit(0);
    `;
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
        encoding: "utf8",
      },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(readLines(file), [
      { type: "slow-callback", protocol: 1, time: 1, pid: child.pid, durationMs: 150, stack: [] },
    ]);
  });
});
