/**
 * Tasks benchmark. Prints one JSON object:
 * - spawn: cost of `spawn` + finish against a bare async call, in the same run
 *   (production mode, then debug mode), as ns per call and as a ratio;
 * - dump: time of `snapshotTasks()` + `renderDump()`, dump bytes and registry heap
 *   bytes per task, at 1,000 / 10,000 / 100,000 pending tasks (production mode), and
 *   at 100,000 in debug mode (every task with creation frames and an await line);
 *   `textVsJson` is the text rendering's time over `JSON.stringify` of the same dump,
 *   the baseline measured in the same run; `heapBytesPerTask` is all the heap a pending
 *   task holds, `applicationBytesPerTask` what the same pending async call holds with no
 *   task and no hooks (measured in the same run), `registryBytesPerTask` the difference:
 *   loopscope's own cost.
 * Run: node --import tsx bench/tasks.ts [--quick]
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { renderDump } from "../src/render/index.js";
import { isDebugTracking, setDebugTracking, snapshotTasks, spawn } from "../src/tasks/index.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const quick = process.argv.includes("--quick");
const CALLS = quick ? 50_000 : 300_000;

async function work(): Promise<number> {
  await Promise.resolve();
  return 1;
}

async function bare(n: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await work();
  return ((performance.now() - start) * 1e6) / n;
}

async function spawned(n: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await spawn("handle m", work).promise;
  return ((performance.now() - start) * 1e6) / n;
}

/** Best of three alternating rounds: noise on a shared machine only makes runs slower. */
async function compare(): Promise<{ bareNs: number; spawnNs: number; ratio: number }> {
  await bare(CALLS / 10);
  await spawned(CALLS / 10);
  let bareNs = Infinity;
  let spawnNs = Infinity;
  for (let round = 0; round < 3; round++) {
    bareNs = Math.min(bareNs, await bare(CALLS));
    spawnNs = Math.min(spawnNs, await spawned(CALLS));
  }
  return { bareNs: round1(bareNs), spawnNs: round1(spawnNs), ratio: round3(spawnNs / bareNs) };
}

/**
 * Heap per pending call of the application's own async function, with no task and no
 * hooks: what the application holds anyway, the baseline the registry's cost is over.
 */
async function bareHeapPerCall(count: number): Promise<number> {
  const tracking = isDebugTracking();
  setDebugTracking(false);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  async function waitForGate(): Promise<void> {
    await gate;
  }
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const calls = [];
  for (let i = 0; i < count; i++) calls.push(waitForGate());
  gc();
  const perCall = (process.memoryUsage().heapUsed - heapBefore) / count;
  release();
  await Promise.all(calls);
  setDebugTracking(tracking);
  return perCall;
}

async function dumpAt(count: number): Promise<Record<string, number | string>> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const debug = isDebugTracking();
  async function waitForGate(): Promise<void> {
    await gate;
  }
  // Production mode's tasks run `() => gate`: nothing of the application's is pending.
  const applicationBytesPerTask = debug ? await bareHeapPerCall(count) : 0;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const tasks = [];
  for (let i = 0; i < count; i++) {
    // Spread over time as real traffic is, so creation-frame sampling behaves as in production.
    // Debug mode: an async function, so each task has an await line to show.
    tasks.push(spawn(`handle m${i}`, debug ? waitForGate : () => gate));
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  gc();
  const heapPerTask = (process.memoryUsage().heapUsed - heapBefore) / count;
  const start = performance.now();
  const dump = snapshotTasks();
  const snapshotMs = performance.now() - start;
  const text = renderDump(dump);
  const totalMs = performance.now() - start;
  const jsonStart = performance.now();
  const jsonBytes = Buffer.byteLength(JSON.stringify(dump));
  const jsonMs = performance.now() - jsonStart;
  // Stacks are resolved by the first dump; a second one shows the steady cost.
  const againStart = performance.now();
  renderDump(snapshotTasks());
  const againMs = performance.now() - againStart;
  release();
  await Promise.all(tasks.map((t) => t.promise));
  return {
    mode: debug ? "debug" : "production",
    tasks: count,
    snapshotMs: round1(snapshotMs),
    snapshotAndTextMs: round1(totalMs),
    secondDumpMs: round1(againMs),
    textVsJson: round3((totalMs - snapshotMs) / jsonMs),
    textBytesPerTask: round1(Buffer.byteLength(text) / count),
    jsonBytesPerTask: round1(jsonBytes / count),
    heapBytesPerTask: Math.round(heapPerTask),
    applicationBytesPerTask: Math.round(applicationBytesPerTask),
    registryBytesPerTask: Math.round(heapPerTask - applicationBytesPerTask),
    unsampled: dump.unsampled ?? 0,
  };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

const production = await compare();
const dumps = [];
for (const n of [1_000, 10_000, 100_000]) dumps.push(await dumpAt(n));
setDebugTracking(true);
const debug = await compare();
dumps.push(await dumpAt(100_000));
setDebugTracking(false);

console.log(
  JSON.stringify({
    bench: "loopscope tasks",
    node: process.version,
    calls: CALLS,
    spawn: {
      note: "ns per awaited call of a one-await async function; ratio = spawn / bare, same mode",
      production,
      debug,
    },
    dump: dumps,
    limits: { dumpMsAt100k: 250, registryBytesPerTask: 1024 },
  }),
);
