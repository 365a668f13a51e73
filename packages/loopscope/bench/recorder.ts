/**
 * The flight recorder's cost. Prints one JSON object:
 * - spawn: `spawn` + finish of a one-await task with the recorder off, on (its default: every
 *   task up to 2,000 a second, then 1 in 256) and on recording every task, in alternating
 *   rounds of the same run (ns per task, best round of each, and the ratios to off);
 *   `perEntryNs` is what recording every task adds, over the two entries a task records;
 * - ring: one entry pushed straight into the ring (`recordTaskStart` with the clock already
 *   read, as `spawn` calls it, every task recorded), against the same calls with the
 *   recorder off, in ns;
 * - window: building a 200-entry window (what a loop-blocked report carries) and the whole
 *   ring (the file written at a fatal exit), in ms, once the ring is full.
 * Short rounds, many of them, the best of each kept: on a shared machine a long round is
 * more likely to be slowed by something else.
 * Run: node --import tsx bench/recorder.ts [--rounds 25] [--tasks 100000]
 */
import { positiveIntegerArgument } from "./common.js";
import {
  recordTaskStart,
  recorderStats,
  recorderWindow,
  startRecorder,
  stopRecorder,
  wholeRecorderWindow,
} from "../src/recorder/index.js";
import { spawn } from "../src/tasks/index.js";

const ROUNDS = positiveIntegerArgument("rounds", 25);
const TASKS = positiveIntegerArgument("tasks", 100_000);

async function work(): Promise<number> {
  await Promise.resolve();
  return 1;
}

async function spawned(n: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await spawn("handle m", work).promise;
  return ((performance.now() - start) * 1e6) / n;
}

type Variant = "off" | "on" | "every";

/** The recorder as a round wants it: off, on with its defaults, on recording every task. */
function recording(variant: Variant): void {
  stopRecorder();
  if (variant === "on") startRecorder();
  if (variant === "every") startRecorder({ taskSampling: { oneIn: 1 } });
}

async function spawnCost(): Promise<Record<string, number>> {
  const variants: Variant[] = ["off", "on", "every"];
  // Warm every path first: the first round of each would pay for compilation.
  for (const variant of variants) {
    recording(variant);
    await spawned(TASKS / 10);
  }
  const best: Record<Variant, number> = { off: Infinity, on: Infinity, every: Infinity };
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate which goes first: a machine that gets busier during a round hurts them all.
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(round + i) % variants.length]!;
      recording(variant);
      best[variant] = Math.min(best[variant], await spawned(TASKS));
    }
  }
  stopRecorder();
  return {
    offNs: round1(best.off),
    onNs: round1(best.on),
    ratio: round3(best.on / best.off),
    everyTaskNs: round1(best.every),
    everyTaskRatio: round3(best.every / best.off),
    perEntryNs: round1((best.every - best.off) / 2),
  };
}

function ringCost(): Record<string, number> {
  const n = 5_000_000;
  const name = "handle m";
  const push = (): number => {
    const start = performance.now();
    for (let i = 0; i < n; i++) recordTaskStart(i + 1, name, start);
    return ((performance.now() - start) * 1e6) / n;
  };
  let offNs = Infinity;
  let onNs = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    recording("off");
    offNs = Math.min(offNs, push());
    recording("every");
    onNs = Math.min(onNs, push());
  }
  stopRecorder();
  return { offNs: round1(offNs), onNs: round1(onNs), entryNs: round1(onNs - offNs) };
}

async function windowCost(): Promise<Record<string, number>> {
  recording("every");
  await spawned(20_000);
  const stats = recorderStats()!;
  const time = (build: () => unknown): number => {
    build();
    let best = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      const start = performance.now();
      build();
      best = Math.min(best, performance.now() - start);
    }
    return round3(best);
  };
  const result = {
    entries: stats.entries,
    bytes: stats.bytes,
    window200Ms: time(() => recorderWindow()),
    wholeMs: time(() => wholeRecorderWindow()),
    wholeJsonBytes: Buffer.byteLength(JSON.stringify(wholeRecorderWindow())),
  };
  stopRecorder();
  return result;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

const spawnResult = await spawnCost();
const ring = ringCost();
const window = await windowCost();
console.log(
  JSON.stringify({
    bench: "loopscope recorder",
    node: process.version,
    rounds: ROUNDS,
    tasks: TASKS,
    spawn: {
      note: "ns per awaited spawn + finish of a one-await task, best round of each: off, on (default sampling), every task recorded; ratios to off",
      ...spawnResult,
    },
    ring: { note: "ns per recordTaskStart call; entryNs = on - off", ...ring },
    window: { note: "ms to build, best round, the ring full", ...window },
  }),
);
