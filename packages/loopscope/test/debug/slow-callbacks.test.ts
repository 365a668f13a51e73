/**
 * Slow callbacks in debug mode, end to end: the real preload with LOOPSCOPE_DEBUG=1 runs
 * a task that blocks the loop after an `await`. The watchdog's `loop-blocked` report must
 * name the blocking line and the task (name and creation line), in the TypeScript source
 * through its source map and in plain JavaScript; a block under the threshold is silent.
 * When the watchdog could not see into a block, a blocking call debug mode timed names
 * it instead (`slow-callback`), in process and end to end.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import ts from "typescript";
import { BlockingCallMonitor } from "../../src/debug/blocking-calls.js";
import { SlowCallbackMonitor } from "../../src/debug/slow-callbacks.js";
import { emit, onEvent } from "../../src/events/index.js";
import type {
  Frame,
  LoopBlockedEvent,
  LoopscopeEvent,
  SlowCallbackEvent,
} from "../../src/protocol/index.js";
import { PROTOCOL_VERSION } from "../../src/protocol/index.js";
import { setDebugTracking, spawn } from "../../src/tasks/index.js";
import { assertBuilt, cleanEnv, fixture, packageDir, run } from "../fixtures/child-process.js";
import { markerLine } from "../fixtures/events-file.js";

const source = fixture("debug/slow-task.ts");
const scratch = mkdtempSync(join(tmpdir(), "loopscope-slow-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function namesLine(frames: readonly Frame[] | undefined, file: string, line: number): boolean {
  return (frames ?? []).some((frame) => frame.file === file && frame.line === line);
}

/**
 * The fixture compiled to JavaScript in the scratch directory, with or without a source
 * map. `loopscope` becomes the built package's URL: the scratch directory is outside it.
 */
function compile(name: string, withMap: boolean): string {
  const output = ts.transpileModule(readFileSync(source, "utf8"), {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      sourceMap: withMap,
    },
    fileName: "slow-task.ts",
  });
  const loopscope = pathToFileURL(join(packageDir, "dist/index.js")).href;
  let code = output.outputText
    .replace(/from "loopscope"/, `from ${JSON.stringify(loopscope)}`)
    .replace(/\/\/# sourceMappingURL=.*$/m, "");
  const compiled = join(scratch, `${name}.mjs`);
  if (withMap) {
    code += `//# sourceMappingURL=${name}.mjs.map\n`;
    const map = JSON.parse(output.sourceMapText!) as { file: string; sources: string[] };
    map.file = `${name}.mjs`;
    map.sources = [source];
    writeFileSync(join(scratch, `${name}.mjs.map`), JSON.stringify(map));
  }
  writeFileSync(compiled, code);
  return compiled;
}

async function runDebug(
  script: string,
  nodeOptions: readonly string[] = [],
): Promise<{ blocked: LoopBlockedEvent[]; events: LoopscopeEvent[]; text: string }> {
  const eventsFile = join(scratch, `${Date.now()}-${Math.random()}.jsonl`);
  const args = [...nodeOptions, "--import", "loopscope/register", script];
  const result = await run(process.execPath, args, {
    cwd: packageDir,
    env: cleanEnv({ LOOPSCOPE_DEBUG: "1", LOOPSCOPE_SLOW_MS: "100", LOOPSCOPE_EVENTS: eventsFile }),
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "done\n");
  const events = readFileSync(eventsFile, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as LoopscopeEvent);
  const blocked = events.filter((e): e is LoopBlockedEvent => e.type === "loop-blocked");
  return { blocked, events, text: result.stderr };
}

describe("debug mode: a slow callback names its line and its task", () => {
  before(assertBuilt);

  for (const variant of ["TypeScript through its source map", "plain JavaScript"] as const) {
    it(variant, async () => {
      const withMap = variant !== "plain JavaScript";
      const script = compile(withMap ? "mapped" : "plain", withMap);
      const file = withMap ? source : script;
      const { blocked, text } = await runDebug(script);

      const slow = blocked.find((e) => namesLine(e.stack, file, markerLine(file, "slow")));
      assert.ok(slow !== undefined, `a loop-blocked event naming @slow:\n${text}`);
      // The innermost frame is the loop itself (tsc puts the JavaScript's comment a line
      // below the loop's condition, so only the source-mapped line is compared).
      assert.equal(slow.stack[0]?.fn, "spin", JSON.stringify(slow.stack));
      if (withMap) assert.equal(slow.stack[0]?.line, markerLine(file, "spin"));
      assert.equal(slow.task?.name, "handle cattle-ab12", JSON.stringify(slow));
      assert.ok(
        namesLine(slow.task.createdAt, file, markerLine(file, "spawn")),
        JSON.stringify(slow.task.createdAt),
      );
      assert.match(
        text,
        /event loop blocked for \d+ ms by [^\n]*? in task \d+ "handle cattle-ab12"/,
      );

      const fast = blocked.filter((e) => namesLine(e.stack, file, markerLine(file, "fast")));
      assert.deepEqual(fast, [], "a block under LOOPSCOPE_SLOW_MS is not reported");
    });
  }
});

/** Block the thread in a wrapped blocking call (`Atomics.wait` on a cell nobody notifies). */
function waitForDisk(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); // @wait
}

/** A `loop-blocked` event as the watchdog emits it when its capture failed. */
function blockedWithoutCapture(durationMs: number): LoopBlockedEvent {
  return {
    type: "loop-blocked",
    protocol: 1,
    time: Date.now(),
    pid: process.pid,
    durationMs,
    cause: "unknown",
    evidence: {},
    stack: [],
    count: 1,
    note: "nothing could be captured during the block: the main thread did not answer before the loop turned again",
  };
}

describe("debug mode: a block the watchdog could not see into", () => {
  const thisFile = fileURLToPath(import.meta.url);
  let reported: SlowCallbackEvent[] = [];
  let slow: SlowCallbackMonitor | undefined;
  let blocking: BlockingCallMonitor | undefined;

  beforeEach(() => {
    // As in debug mode: a finished task keeps its creation frames.
    setDebugTracking(true);
    reported = [];
    slow = new SlowCallbackMonitor({ report: (e) => reported.push(e), subscribe: onEvent });
    blocking = new BlockingCallMonitor({
      report: () => undefined,
      onTimedCall: slow.record,
      loopStarted: true,
    });
    slow.install();
    blocking.install();
  });
  afterEach(() => {
    blocking?.uninstall();
    slow?.uninstall();
    setDebugTracking(false);
  });

  /** What the watchdog's heartbeat measures: from before the block until now. */
  async function blockInTask(blockMs: number): Promise<() => number> {
    const lastBeatMs = performance.now();
    const handle = (): Promise<void> => {
      waitForDisk(blockMs);
      return Promise.resolve();
    };
    const task = spawn("handle cattle-ab12", handle); // @spawn
    await task.promise;
    return () => performance.now() - lastBeatMs;
  }

  /** Emit `event` and let the monitor's report (a microtask later) come. */
  async function emitted(event: LoopscopeEvent): Promise<void> {
    emit(event);
    await new Promise((resolve) => setImmediate(resolve));
  }

  it("a slow-callback names the blocking call's line, its task and the stall's duration", async () => {
    const stallMs = await blockInTask(100);
    const event = blockedWithoutCapture(stallMs());
    await emitted(event);
    assert.equal(reported.length, 1);
    const [report] = reported;
    assert.equal(report!.type, "slow-callback");
    assert.equal(report!.protocol, PROTOCOL_VERSION);
    assert.equal(report!.durationMs, event.durationMs);
    assert.ok(
      namesLine(report!.stack, thisFile, markerLine(thisFile, "wait")),
      JSON.stringify(report!.stack),
    );
    assert.equal(report!.task?.name, "handle cattle-ab12");
    assert.ok(
      namesLine(report!.task.createdAt, thisFile, markerLine(thisFile, "spawn")),
      JSON.stringify(report!.task),
    );

    await emitted(blockedWithoutCapture(stallMs()));
    assert.equal(reported.length, 1, "a call explains one block, not a later one too");
  });

  it("a coalesced report is matched by when its block ended, not by when it went out", async () => {
    const stallMs = await blockInTask(100);
    const endedAt = performance.timeOrigin + performance.now();
    // The same stall reported a window later (coalesced repeats), with when it ended.
    const coalesced = { ...blockedWithoutCapture(stallMs()), count: 3 };
    await emitted({ ...coalesced, endedAt: endedAt - 10_000 });
    assert.equal(reported.length, 0, "a stall that ended 10 s before the call is not the call's");
    await emitted({ ...coalesced, endedAt });
    assert.equal(reported.length, 1, "the stall that ended with the call is");
    assert.equal(reported[0]!.task?.name, "handle cattle-ab12");
  });

  it("nothing when the watchdog saw into the block, or the call was a small part of it", async () => {
    const stallMs = await blockInTask(100);
    const frame: Frame = { fn: "spin", file: thisFile, line: 1, col: 1 };
    await emitted({ ...blockedWithoutCapture(stallMs()), stack: [frame], note: undefined });
    assert.equal(reported.length, 0, "the watchdog's own stack");

    const shortStallMs = await blockInTask(5);
    await emitted(blockedWithoutCapture(shortStallMs() + 1_000));
    assert.equal(reported.length, 0, "a 5 ms call does not explain a 1 s block");
  });

  it("end to end, with the inspector open (the watchdog reports durations only)", async () => {
    assertBuilt();
    const script = fixture("debug/slow-blocking-call.mjs");
    const { blocked, events, text } = await runDebug(script, ["--inspect=127.0.0.1:0"]);
    assert.ok(
      blocked.some((e) => e.stack.length === 0 && e.task === undefined),
      `a loop-blocked event without stack or task:\n${text}`,
    );
    const slowCallbacks = events.filter((e): e is SlowCallbackEvent => e.type === "slow-callback");
    const found = slowCallbacks.find((e) =>
      namesLine(e.stack, script, markerLine(script, "block")),
    );
    assert.ok(found !== undefined, `a slow-callback naming @block:\n${text}`);
    assert.ok(found.durationMs >= 100, JSON.stringify(found));
    assert.equal(found.task?.name, "handle cattle-ab12", JSON.stringify(found));
    assert.ok(
      namesLine(found.task.createdAt, script, markerLine(script, "spawn")),
      JSON.stringify(found.task.createdAt),
    );
    assert.match(text, /slow callback took \d+ ms in task \d+ "handle cattle-ab12"/);
  });
});
