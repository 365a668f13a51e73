/**
 * What debug mode costs. Prints one JSON object; every figure is a ratio against a
 * baseline measured in the same run (the machine is shared and noisy):
 * - `pipeline`: a promise-heavy message pipeline (fire-and-forget handlers in named
 *   tasks, ~22 promises a message) with debug mode off and on, alternated;
 * - `syncCall`: one `fs.statSync` call, unwrapped and wrapped (a repeat site, so the
 *   rate limiter stays silent: the steady-state cost of the wrapper).
 *
 * Run: `node --import tsx bench/debug.ts [--messages N] [--rounds N]`.
 */
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { setDebug } from "../src/debug/index.js";
import { spawn } from "../src/tasks/index.js";
import { positiveIntegerArgument } from "./common.js";

const messages = positiveIntegerArgument("messages", 20_000);
const rounds = positiveIntegerArgument("rounds", 3);
const thisFile = fileURLToPath(import.meta.url);

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
async function parse(n: number): Promise<number> {
  await Promise.resolve();
  return n + 1;
}
async function save(n: number): Promise<number> {
  await Promise.resolve();
  await Promise.resolve();
  return n;
}
async function restartHost(n: number): Promise<number> {
  await Promise.resolve();
  return n;
}
async function handleMessage(n: number): Promise<void> {
  const parsed = await parse(n);
  await Promise.all([save(parsed), restartHost(parsed)]);
}

/** Messages a second through the pipeline, at most 100 in flight. */
async function pipeline(count: number): Promise<number> {
  const startedAt = performance.now();
  let inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    inFlight.push(spawn(`handle ${i}`, () => handleMessage(i)).promise);
    if (inFlight.length >= 100) {
      await Promise.all(inFlight);
      inFlight = [];
      await tick();
    }
  }
  await Promise.all(inFlight);
  return count / ((performance.now() - startedAt) / 1000);
}

/** Nanoseconds per `statSync` call. */
function syncCallNs(count: number): number {
  const startedAt = process.hrtime.bigint();
  for (let i = 0; i < count; i++) statSync(thisFile);
  return Number(process.hrtime.bigint() - startedAt) / count;
}

async function measure(debug: boolean): Promise<{ rate: number; syncNs: number }> {
  setDebug(debug, { blockingCallWindowMs: 60_000 });
  await tick(); // past start-up
  const rate = await pipeline(messages);
  const syncNs = syncCallNs(5_000);
  setDebug(false);
  return { rate, syncNs };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

await pipeline(2_000); // warm-up
const off: { rate: number; syncNs: number }[] = [];
const on: { rate: number; syncNs: number }[] = [];
for (let round = 0; round < rounds; round++) {
  off.push(await measure(false));
  on.push(await measure(true));
}
const offRate = median(off.map((r) => r.rate));
const onRate = median(on.map((r) => r.rate));
const offSync = median(off.map((r) => r.syncNs));
const onSync = median(on.map((r) => r.syncNs));
console.log(
  JSON.stringify({
    bench: "debug",
    messages,
    rounds,
    pipeline: {
      offMsgPerSec: Math.round(offRate),
      debugMsgPerSec: Math.round(onRate),
      slowdown: Number((offRate / onRate).toFixed(2)),
    },
    syncCall: {
      offNs: Math.round(offSync),
      debugNs: Math.round(onSync),
      ratio: Number((onSync / offSync).toFixed(2)),
    },
  }),
);
