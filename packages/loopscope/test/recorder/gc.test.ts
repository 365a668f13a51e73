/**
 * GC pauses: traced from V8's trace events (or, where the inspector cannot trace, observed
 * from `perf_hooks`), summed over an interval for the watchdog, and recorded (the longer
 * ones) by the flight recorder. Observed entries arrive after the collection: a
 * `setImmediate` queued from a `setImmediate` after it sees them (gc.ts).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Worker } from "node:worker_threads";
import {
  gcPausesBetween,
  gcTrackingSource,
  recorderWindow,
  startRecorder,
  stopRecorder,
  trackGcPauses,
  collectGcPausesIfDue,
  driveGcCollection,
} from "../../src/recorder/index.js";
import { onGcPause } from "../../src/recorder/gc.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as (options?: { type: string }) => void;

const BUILT = fileURLToPath(new URL("../../dist/internal.js", import.meta.url));

/** A child that tracks GC while it allocates, and prints where the pauses came from and their sum. */
const CHILD = `
import { trackGcPauses, gcTrackingSource, gcPausesBetween } from ${JSON.stringify(pathToFileURL(BUILT).href)};
const stop = trackGcPauses();
const from = performance.now();
for (let i = 0; i < 50; i++) new Array(1e5).fill({});
const to = performance.now();
setImmediate(() => setImmediate(() => {
  console.log(JSON.stringify({ source: gcTrackingSource(), pauses: gcPausesBetween(from, to) }));
  stop();
}));`;

function runChild(
  nodeArgs: string[],
  cwd: string,
): Promise<{ source: string; pauses: { count: number; complete: boolean } }> {
  assert.ok(
    existsSync(BUILT),
    `run \`npm run build\` at the repository root first (${BUILT} is missing)`,
  );
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...nodeArgs, "--input-type=module", "--eval", CHILD],
      { cwd, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!) as never);
      },
    );
  });
}

/** Allocate garbage, letting the loop turn, until `done()` or `ms` have passed. */
async function allocate(ms: number, done: () => boolean = () => false): Promise<void> {
  const end = performance.now() + ms;
  let keep: unknown[] = [];
  while (performance.now() < end && !done()) {
    for (let i = 0; i < 20_000; i++) keep.push({ i });
    keep = [];
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Two turns of the check phase: by then the observer has been told (see gc.ts). */
function afterGcEntries(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

describe("GC pauses", () => {
  afterEach(stopRecorder);

  it("are summed over an interval, each clipped to it", async () => {
    const stop = trackGcPauses();
    try {
      const from = performance.now();
      gc();
      gc();
      const to = performance.now();
      await afterGcEntries();
      const pauses = gcPausesBetween(from, to);
      assert.ok(pauses.count >= 2, `at least the two collections asked for, got ${pauses.count}`);
      assert.ok(pauses.ms > 0 && pauses.ms <= to - from, `${pauses.ms} ms in ${to - from} ms`);
      assert.equal(pauses.complete, true);
      // An interval before any of them holds none of them.
      assert.equal(gcPausesBetween(from - 1e6, from - 1e6 + 1).count, 0);
    } finally {
      stop();
    }
  });

  it("are traced from V8's trace events, there at once, the main thread's only", async () => {
    const stop = trackGcPauses();
    try {
      // Every Node line this package supports has the inspector's NodeTracing: the observer is
      // the fallback for builds without it, not what users get.
      assert.equal(gcTrackingSource(), "trace-events");
      const from = performance.now();
      gc();
      const to = performance.now();
      // No waiting: reading the trace takes in every pause up to now.
      const pauses = gcPausesBetween(from, to);
      assert.ok(pauses.count >= 1 && pauses.ms > 0, JSON.stringify(pauses));
      assert.ok(pauses.ms <= to - from, `${pauses.ms} ms in ${to - from} ms`);

      // A worker's collections, however long, are not pauses of this thread: the worker
      // collects a large heap while this thread sleeps in Atomics.wait.
      const signal = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(
        `const { workerData } = require("node:worker_threads");
        const keep = [];
        for (let i = 0; i < 300000; i++) keep.push({ i, text: "x" + i });
        const signal = new Int32Array(workerData);
        Atomics.wait(signal, 0, 0);
        const started = performance.now();
        while (performance.now() - started < 200) { keep.push({}); for (let i = 0; i < 2e5; i++) keep.push({ i }); keep.length = 300000; }
        Atomics.store(signal, 0, 2);
        Atomics.notify(signal, 0);`,
        { eval: true, workerData: signal.buffer },
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const waitFrom = performance.now();
      Atomics.store(signal, 0, 1);
      Atomics.notify(signal, 0);
      Atomics.wait(signal, 0, 1, 5_000);
      const waitTo = performance.now();
      await worker.terminate();
      const during = gcPausesBetween(waitFrom, waitTo);
      assert.equal(during.count, 0, `${JSON.stringify(during)} while the worker collected`);
    } finally {
      stop();
    }
  });

  it("are observed instead where the process traces already, or may not use the inspector", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "loopscope-gc-"));
    try {
      // The process's own trace file (written to its working directory) must not get V8's events.
      const tracing = await runChild(["--trace-event-categories", "node.perf"], cwd);
      assert.equal(tracing.source, "perf-observer");
      assert.ok(tracing.pauses.count >= 1 && tracing.pauses.complete, JSON.stringify(tracing));
      // The permission model (its flag's name by what this Node accepts) denies the inspector.
      const permission = process.allowedNodeEnvironmentFlags.has("--permission")
        ? "--permission"
        : "--experimental-permission";
      const denied = await runChild([permission, "--allow-fs-read=*"], cwd);
      assert.equal(denied.source, "perf-observer");
      assert.ok(denied.pauses.count >= 1 && denied.pauses.complete, JSON.stringify(denied));
      // Nothing in the way: traced.
      assert.equal((await runChild([], cwd)).source, "trace-events");
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("are read unasked: by a timer, or by whoever drives the reading (the heartbeat)", async () => {
    let seen = 0;
    onGcPause(() => seen++);
    const stop = trackGcPauses();
    try {
      // Nobody asks and nobody drives: the module's own timer reads the trace.
      await allocate(15_000, () => seen > 0);
      assert.ok(seen > 0, "no pause read unasked in 15 s");
      // Driven: no timer of its own (an idle process is not woken for it), the driver reads.
      const release = driveGcCollection();
      try {
        collectGcPausesIfDue();
        seen = 0;
        await allocate(2_500);
        assert.equal(seen, 0, "read while a driver runs, though the driver did not ask");
        collectGcPausesIfDue();
        assert.ok(seen > 0, "the driver's read due after 2 s took in the pauses");
      } finally {
        release();
      }
    } finally {
      onGcPause(undefined);
      stop();
    }
  });

  it("are not complete while nobody tracks them", () => {
    const now = performance.now();
    assert.equal(gcPausesBetween(now - 10, now).complete, false);
  });

  it("at least minGcMs long are flight-recorder entries, with their kind", async () => {
    startRecorder({ minGcMs: 0 });
    gc();
    gc({ type: "minor" });
    await afterGcEntries();
    const kinds = recorderWindow()!
      .entries.filter((entry) => entry.kind === "gc")
      .map((entry) => entry.detail);
    assert.ok(kinds.includes("major"), `a major collection among ${kinds.join(", ")}`);
    assert.ok(kinds.includes("minor"), `a minor collection among ${kinds.join(", ")}`);
  });
});
