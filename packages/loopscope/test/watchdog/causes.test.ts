// Each kind of stall, in a real process under the preload, reported with its cause and,
// where there is a line to blame, that exact line.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { Frame, LoopBlockedEvent } from "../../src/protocol/index.js";
import { isApplicationFrame } from "../../src/protocol/index.js";
import { assertBuilt, cleanEnv, fixture, registerJs, start } from "../fixtures/child-process.js";
import { markerLine, ofType, readEventsFile } from "../fixtures/events-file.js";

const STALLS = fixture("watchdog/stalls.js");
let dir: string;

before(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "loopscope-causes-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface StallRun {
  readonly blocks: LoopBlockedEvent[];
  readonly stderr: string;
}

/**
 * Run one scenario of the fixture under the preload; `whileRunning` gets the process once
 * it printed "ready" (the scenarios that are stopped from outside print it).
 */
async function runScenario(
  scenario: string,
  options: {
    nodeArgs?: string[];
    slowMs?: number;
    whileRunning?: (pid: number) => Promise<void>;
  } = {},
): Promise<StallRun> {
  const events = join(dir, `${scenario}-${Date.now()}.jsonl`);
  const child = start(
    process.execPath,
    [...(options.nodeArgs ?? []), "--import", registerJs, STALLS, scenario],
    {
      env: cleanEnv({
        LOOPSCOPE_EVENTS: events,
        LOOPSCOPE_SLOW_MS: String(options.slowMs ?? 100),
      }),
    },
  );
  if (options.whileRunning !== undefined) {
    await child.waitForStdout(/ready/);
    await options.whileRunning(child.child.pid!);
  }
  const finished = await child.finished;
  assert.equal(finished.code, 0, finished.stderr);
  return { blocks: ofType(readEventsFile(events), "loop-blocked"), stderr: finished.stderr };
}

/** Stop the whole process for `ms` milliseconds, as a host or a debugger would. */
async function stopFor(pid: number, ms: number): Promise<void> {
  process.kill(pid, "SIGSTOP");
  await sleep(ms);
  process.kill(pid, "SIGCONT");
}

const firstAppFrame = (stack: readonly Frame[]): Frame | undefined =>
  stack.find(isApplicationFrame);

/** The blocks whose innermost application frame is the fixture's line marked `@marker`. */
function blocksAt(blocks: readonly LoopBlockedEvent[], marker: string): LoopBlockedEvent[] {
  const line = markerLine(STALLS, marker);
  return blocks.filter((block) => {
    const frame = firstAppFrame(block.stack);
    return frame?.file === STALLS && frame.line === line;
  });
}

describe("the cause of a stall, in a process under the preload", () => {
  it("javascript: a busy loop, at its line", async () => {
    const run = await runScenario("busy");
    const [block] = blocksAt(run.blocks, "busy");
    assert.ok(block, JSON.stringify(run.blocks));
    assert.equal(block.cause, "javascript");
    assert.match(run.stderr, /event loop blocked for \d+ ms by JavaScript/);
  });

  it("many-callbacks: one turn of thousands of short callbacks, not blamed on one of them", async () => {
    const run = await runScenario("many-callbacks");
    const many = run.blocks.filter((block) => block.cause === "many-callbacks");
    assert.equal(many.length >= 1, true, JSON.stringify(run.blocks));
    assert.ok((many[0]!.evidence.callbacks ?? 0) >= 2, JSON.stringify(many[0]));
    // The short callback's line is among the functions seen most, never a block's cause.
    const tick = markerLine(STALLS, "tick");
    assert.ok(
      many[0]!.evidence.functions?.some((f) => f.frame.line === tick),
      JSON.stringify(many[0]),
    );
    assert.deepEqual(
      blocksAt(run.blocks, "tick").filter((block) => block.cause === "javascript"),
      [],
    );
    assert.match(run.stderr, /stalled for \d+ ms by many short callbacks in one turn/);
  });

  const nativeCases = [
    { scenario: "json", call: "JSON.parse" },
    { scenario: "pbkdf2", call: "crypto.pbkdf2Sync" },
    { scenario: "gunzip", call: "zlib.gunzipSync" },
  ];
  for (const { scenario, call } of nativeCases) {
    it(`native-call: ${call}, at the exact line that made the call`, async () => {
      const run = await runScenario(scenario);
      const [block] = blocksAt(run.blocks, scenario);
      assert.ok(block, JSON.stringify(run.blocks));
      assert.equal(block.cause, "native-call", JSON.stringify(block));
      assert.equal(block.evidence.nativeCall, call);
      assert.match(run.stderr, new RegExp(`by a native call, ${call.replace(".", "\\.")}`));
    });
  }

  it("gc: a forced full collection of a large heap, with its milliseconds", async () => {
    // The threshold well under the collection's time (see the fixture's buildHeap), so a
    // quick collection on a fast Node still counts as a stall.
    const run = await runScenario("gc", { nodeArgs: ["--expose-gc"], slowMs: 30 });
    // Building the heap may stall too (JavaScript, or GC while it allocates); the stall
    // under test is the forced collection after it.
    const building = new Set(blocksAt(run.blocks, "build"));
    const gc = run.blocks.filter((block) => block.cause === "gc" && !building.has(block));
    assert.equal(gc.length >= 1, true, JSON.stringify(run.blocks));
    assert.ok((gc[0]!.evidence.gcMs ?? 0) >= gc[0]!.durationMs / 2, JSON.stringify(gc[0]));
    assert.match(run.stderr, /by garbage collection \(\d+ ms collecting\)/);
  });

  it("host-paused: an idle process stopped for 600 ms, no line blamed", async () => {
    const run = await runScenario("idle", {
      // Let it settle into idleness first.
      whileRunning: async (pid) => {
        await sleep(500);
        await stopFor(pid, 600);
      },
    });
    const paused = run.blocks.filter((block) => block.cause === "host-paused");
    assert.equal(paused.length >= 1, true, JSON.stringify(run.blocks));
    assert.deepEqual(paused[0]!.stack, []);
    assert.ok((paused[0]!.evidence.pausedMs ?? 0) >= 300, JSON.stringify(paused[0]));
    assert.match(run.stderr, /process paused for \d+ ms: not running/);
  });

  it("host-paused inside a busy block: the pause reported apart from the block", async () => {
    const run = await runScenario("busy-stopped", {
      whileRunning: async (pid) => {
        await sleep(300);
        await stopFor(pid, 600);
      },
    });
    const [block] = blocksAt(run.blocks, "busy");
    assert.ok(block, JSON.stringify(run.blocks));
    assert.equal(block.cause, "javascript", JSON.stringify(block));
    assert.ok((block.evidence.pausedMs ?? 0) >= 300, JSON.stringify(block));
    assert.match(run.stderr, /also not running for \d+ ms during it/);
  });
});
