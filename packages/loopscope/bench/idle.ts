/**
 * What the preload costs a process that does nothing: the CPU time an idle program uses
 * per second of wall time, with `--import loopscope/register` (production mode: watchdog,
 * metrics) and without, in fresh processes, alternating. Each process sleeps 2 s to get
 * start-up out of the way, then measures `process.cpuUsage()` (every thread: the watchdog's
 * included) over the next `--seconds`. Prints one JSON object: medians, in ms per second.
 *
 * With `--before DIR` (another built checkout), that build's preload runs too, in the same
 * rounds: the cost of a change, before and after.
 *
 * On Linux an idle process under the preload runs no timer on its main thread (the
 * heartbeat's idle mode): what it pays is the watchdog thread's wakes, one every 280 ms
 * while the main thread's doorbell is armed (a callback wakes the watchdog thread at once),
 * its looks at the main thread's `/proc` state at every other wake, and a beat when a timer
 * of the program's own wakes it
 * (here, when the measurement begins and ends). Each wake of a thread is dear on a virtual
 * machine (0.25 to 0.4 ms of CPU here, most of it the kernel's and the caches', not the
 * thread's own instructions) and its price moves with the machine's state: compare figures
 * of the same run. `wakesPerS` counts them. The window ends before V8's memory reducer runs
 * its one collection of the start-up garbage (about 8 s after start, once).
 *
 * Run (after `npm run build` at the root): `node --import tsx bench/idle.ts [--rounds 3] [--seconds 5] [--before DIR]`.
 */
import { spawnSync } from "node:child_process";
import {
  beforeRegisterArgument,
  environmentWithoutLoopscope,
  median,
  positiveIntegerArgument,
  preloadArguments,
} from "./common.js";

const rounds = positiveIntegerArgument("rounds", 3);
const seconds = positiveIntegerArgument("seconds", 5);
const before = beforeRegisterArgument();

/**
 * An idle program: timers far apart, nothing else; prints its CPU ms per second and, on
 * Linux, how many times a second its threads were put on a CPU (their wakes: \`schedstat\`'s
 * third field, summed over \`/proc/self/task\`; read outside the CPU measurement).
 */
const IDLE_PROGRAM = `
const fs = require("node:fs");
function slices() {
  try {
    let sum = 0;
    for (const tid of fs.readdirSync("/proc/self/task")) {
      sum += Number(fs.readFileSync("/proc/self/task/" + tid + "/schedstat", "latin1").split(" ")[2]);
    }
    return sum;
  } catch {
    return NaN;
  }
}
setTimeout(() => {
  const slicesBefore = slices();
  const start = process.cpuUsage();
  const t0 = performance.now();
  setTimeout(() => {
    const used = process.cpuUsage(start);
    const wallS = (performance.now() - t0) / 1000;
    const wakes = slices() - slicesBefore;
    console.log(JSON.stringify({ cpuMsPerS: (used.user + used.system) / 1000 / wallS, wakesPerS: wakes / wallS }));
  }, ${seconds * 1000});
}, 2000);
`;

type Variant = "off" | "preload" | "before";

interface IdleSample {
  cpuMsPerS: number;
  /** NaN where /proc cannot be read. */
  wakesPerS: number;
}

function measure(variant: Variant): IdleSample {
  const args = [...preloadArguments(variant, before), "-e", IDLE_PROGRAM];
  const result = spawnSync(process.execPath, args, {
    encoding: "utf8",
    env: environmentWithoutLoopscope(),
  });
  if (result.status !== 0) {
    throw new Error(`idle ${variant} exited ${String(result.status)}: ${result.stderr}`);
  }
  const last = result.stdout.trim().split("\n").at(-1) ?? "";
  const sample = JSON.parse(last) as { cpuMsPerS: number; wakesPerS: number | null };
  // JSON has no NaN: it arrives as null.
  return { cpuMsPerS: sample.cpuMsPerS, wakesPerS: sample.wakesPerS ?? Number.NaN };
}

const variants: Variant[] =
  before === undefined ? ["off", "preload"] : ["off", "preload", "before"];
const samples: Record<Variant, number[]> = { off: [], preload: [], before: [] };
const wakes: Record<Variant, number[]> = { off: [], preload: [], before: [] };
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    const sample = measure(variant);
    samples[variant].push(sample.cpuMsPerS);
    wakes[variant].push(sample.wakesPerS);
  }
}
const round2 = (n: number): number => Math.round(n * 100) / 100;
const added = (variant: Variant): number => round2(median(samples[variant]) - median(samples.off));
process.stdout.write(
  `${JSON.stringify({
    bench: "idle",
    rounds,
    seconds,
    cpuMsPerS: Object.fromEntries(
      variants.map((variant) => [variant, round2(median(samples[variant]))]),
    ),
    addedCpuMsPerS: added("preload"),
    // Median wakes of the process's threads a second (null where /proc cannot be read).
    wakesPerS: Object.fromEntries(
      variants.map((variant) => [variant, round2(median(wakes[variant]))]),
    ),
    ...(before === undefined
      ? {}
      : {
          before,
          beforeAddedCpuMsPerS: added("before"),
          // This build's preload against the other's, same rounds: 1 is no change.
          ratioToBefore: round2(median(samples.preload) / median(samples.before)),
        }),
    samples: Object.fromEntries(variants.map((variant) => [variant, samples[variant].map(round2)])),
  })}\n`,
);
