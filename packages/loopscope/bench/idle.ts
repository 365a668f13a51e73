/**
 * What the preload costs a process that does nothing: the CPU time an idle program uses
 * per second of wall time, with `--import loopscope/register` (production mode: watchdog,
 * metrics) and without, in fresh processes, alternating. Each process sleeps 2 s to get
 * start-up out of the way, then measures `process.cpuUsage()` (every thread: the watchdog's
 * included) over the next `--seconds`. Prints one JSON object: medians, in ms per second.
 *
 * Run (after `npm run build` at the root): `node --import tsx bench/idle.ts [--rounds 3] [--seconds 5]`.
 */
import { spawnSync } from "node:child_process";
import { environmentWithoutLoopscope, median, positiveIntegerArgument } from "./common.js";

const rounds = positiveIntegerArgument("rounds", 3);
const seconds = positiveIntegerArgument("seconds", 5);

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

type Variant = "off" | "preload";

function measure(variant: Variant): number {
  const args = [
    ...(variant === "preload" ? ["--import", "loopscope/register"] : []),
    "-e",
    IDLE_PROGRAM,
  ];
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

const samples: Record<Variant, number[]> = { off: [], preload: [] };
for (let round = 0; round < rounds; round++) {
  for (const variant of ["off", "preload"] as const) samples[variant].push(measure(variant));
}
const round2 = (n: number): number => Math.round(n * 100) / 100;
process.stdout.write(
  `${JSON.stringify({
    bench: "idle",
    rounds,
    seconds,
    cpuMsPerS: { off: round2(median(samples.off)), preload: round2(median(samples.preload)) },
    addedCpuMsPerS: round2(median(samples.preload) - median(samples.off)),
    samples: {
      off: samples.off.map(round2),
      preload: samples.preload.map(round2),
    },
  })}\n`,
);
