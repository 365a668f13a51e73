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
 * heartbeat's idle mode): what it pays is the watchdog thread's look at the main thread's
 * `/proc` state, about ten a second at the default threshold, and a beat when a timer of
 * the program's own wakes it (here, when the measurement begins and ends). Each wake of a
 * thread is dear on a virtual machine and its price moves with the machine's state: compare
 * figures of the same run.
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

/** An idle program: timers far apart, nothing else; prints its CPU ms per second. */
const IDLE_PROGRAM = `
setTimeout(() => {
  const start = process.cpuUsage();
  const t0 = performance.now();
  setTimeout(() => {
    const used = process.cpuUsage(start);
    const wallS = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ cpuMsPerS: (used.user + used.system) / 1000 / wallS }));
  }, ${seconds * 1000});
}, 2000);
`;

type Variant = "off" | "preload" | "before";

function measure(variant: Variant): number {
  const args = [...preloadArguments(variant, before), "-e", IDLE_PROGRAM];
  const result = spawnSync(process.execPath, args, {
    encoding: "utf8",
    env: environmentWithoutLoopscope(),
  });
  if (result.status !== 0) {
    throw new Error(`idle ${variant} exited ${String(result.status)}: ${result.stderr}`);
  }
  const last = result.stdout.trim().split("\n").at(-1) ?? "";
  return (JSON.parse(last) as { cpuMsPerS: number }).cpuMsPerS;
}

const variants: Variant[] =
  before === undefined ? ["off", "preload"] : ["off", "preload", "before"];
const samples: Record<Variant, number[]> = { off: [], preload: [], before: [] };
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) samples[variant].push(measure(variant));
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
