/**
 * The watchdog thread runs its own file and nothing else of the process: not loopscope's
 * preload, not the application's (`--require`, `--import`, `NODE_OPTIONS`), however
 * loopscope was started; and it still captures the stack.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { watchdogThreadEntry } from "../../src/watchdog/thread.js";
import { CAPTURE_SOURCE_URL, captureExpression } from "../../src/watchdog/thread-protocol.js";
import { isWatchdogThreadMessage } from "../../src/watchdog/thread-protocol.js";
import { assertBuilt, cleanEnv, cliMain, fixture, registerJs } from "../fixtures/child-process.js";
import type { EventsRun } from "../fixtures/events-file.js";
import { ofType, runWithEvents } from "../fixtures/events-file.js";
import { firstAppFrame, markedLine, runFixture } from "./fixture.js";

const probe = fixture("watchdog/preload-probe.cjs");
const app = fixture("watchdog/preloaded-app.js");
const register = pathToFileURL(registerJs).href;
const WORKER_RAN_PROBE = /probe: WORKER THREAD/;

describe("the watchdog thread runs none of the process's preloads", () => {
  let scratch: string;
  let runs = 0;
  before(() => {
    assertBuilt();
    scratch = mkdtempSync(join(tmpdir(), "loopscope-thread-"));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  function runApp(args: readonly string[], env: NodeJS.ProcessEnv = {}): EventsRun {
    const eventsFile = join(scratch, `events-${++runs}.jsonl`);
    return runWithEvents(args, {
      cwd: scratch,
      eventsFile,
      env: cleanEnv({ LOOPSCOPE_EVENTS: eventsFile, LOOPSCOPE_SLOW_MS: "100", ...env }),
    });
  }

  /** The probe ran on the main thread only, and the block was captured at its line. */
  function assertWatchedWithoutPreloads(run: EventsRun): void {
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /app done/);
    assert.match(run.stderr, /probe: main thread/);
    assert.doesNotMatch(run.stderr, WORKER_RAN_PROBE);
    // Start-up may be reported too on a loaded machine: the app's block is the one checked.
    const blocked = ofType(run.events, "loop-blocked").find(
      (event) => firstAppFrame(event.stack)?.file === app,
    );
    assert.ok(blocked !== undefined, `${JSON.stringify(run.events)}\n${run.stderr}`);
    assert.equal(firstAppFrame(blocked.stack)?.line, markedLine("preloaded", app));
  }

  it("with NODE_OPTIONS=--import loopscope/register (and the application's --require there too)", () => {
    const run = runApp([app], { NODE_OPTIONS: `--require ${probe} --import ${register}` });
    assertWatchedWithoutPreloads(run);
  });

  it("with node --import loopscope/register (and the application's --import)", () => {
    const run = runApp(["--import", pathToFileURL(probe).href, "--import", register, app]);
    assertWatchedWithoutPreloads(run);
  });

  it("under the loopscope run command (which adds the preload to NODE_OPTIONS)", () => {
    const run = runApp([cliMain, "run", "--", process.execPath, app], {
      NODE_OPTIONS: `--require ${probe}`,
    });
    assertWatchedWithoutPreloads(run);
  });

  it("with the library's startWatchdog()", async () => {
    const run = await runFixture(["busy", "100"], ["--require", probe]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /probe: main thread/);
    assert.doesNotMatch(run.stderr, WORKER_RAN_PROBE);
    assert.ok(run.events.some((event) => firstAppFrame(event.stack)?.fn === "busyLoop"));
  });
});

describe("the watchdog thread's file", () => {
  it("is the compiled worker.js beside the built module, started as a file", () => {
    const entry = watchdogThreadEntry("file:///app/node_modules/loopscope/dist/watchdog/thread.js");
    assert.equal(entry.eval, false);
    assert.equal(
      String(entry.filename),
      "file:///app/node_modules/loopscope/dist/watchdog/worker.js",
    );
  });

  it("is worker.ts beside the source module, loaded through tsx", () => {
    const entry = watchdogThreadEntry("file:///repo/packages/loopscope/src/watchdog/thread.ts");
    assert.equal(entry.eval, true);
    assert.match(String(entry.filename), /tsx/);
    assert.match(
      String(entry.filename),
      /import\("file:\/\/\/repo\/packages\/loopscope\/src\/watchdog\/worker\.ts"\)/,
    );
  });
});

describe("the thread protocol", () => {
  it("accepts the watchdog thread's messages and nothing else", () => {
    assert.equal(isWatchdogThreadMessage({ type: "capture-failed", reason: "x" }), true);
    assert.equal(isWatchdogThreadMessage({ type: "capture-unavailable", reason: "x" }), true);
    assert.equal(isWatchdogThreadMessage({ type: "resume", seq: 3n }), true);
    assert.equal(isWatchdogThreadMessage({ type: "paused", count: 1 }), true);
    assert.equal(isWatchdogThreadMessage({ type: "capture-failed" }), false);
    assert.equal(isWatchdogThreadMessage({ type: "resume", seq: 3 }), false);
    assert.equal(isWatchdogThreadMessage({ type: "paused" }), false);
    assert.equal(isWatchdogThreadMessage({ type: "other", reason: "x" }), false);
    assert.equal(isWatchdogThreadMessage("capture-failed"), false);
    assert.equal(isWatchdogThreadMessage(null), false);
  });

  it("evaluates a call of the capture function with the stall's sequence and detection time", () => {
    const calls: unknown[][] = [];
    const key = Symbol.for("loopscope.watchdog.capture");
    const global = globalThis as Record<symbol, unknown>;
    global[key] = (...args: unknown[]) => calls.push(args);
    try {
      const expression = captureExpression(7n, 123456789n);
      assert.ok(expression.endsWith(`//# sourceURL=${CAPTURE_SOURCE_URL}`));
      (0, eval)(expression);
      assert.deepEqual(calls, [[7n, 123456789n]]);
      delete global[key];
      // Not installed (stopped, or another copy's thread): nothing happens.
      (0, eval)(expression);
      assert.equal(calls.length, 1);
    } finally {
      delete global[key];
    }
  });
});
