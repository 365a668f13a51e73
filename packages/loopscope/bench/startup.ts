/**
 * What the preload adds to a process's start: the wall time of `node -e 0` with
 * `--import loopscope/register` (production mode, nothing configured: the watchdog's
 * thread, the SIGUSR2 handler that dumps or opens the inspector on demand) and without,
 * in fresh processes, alternating. With `--before DIR` (another built checkout), that
 * build's preload runs too, in the same rounds: the cost of a change, before and after.
 * Prints one JSON object: medians in milliseconds.
 *
 * Run (after `npm run build` at the root):
 * `node --import tsx bench/startup.ts [--rounds 20] [--before DIR]`.
 */
import { spawnSync } from "node:child_process";
import {
  beforeRegisterArgument,
  environmentWithoutLoopscope,
  median,
  positiveIntegerArgument,
  preloadArguments,
} from "./common.js";

const rounds = positiveIntegerArgument("rounds", 20);
const before = beforeRegisterArgument();

type Variant = "off" | "preload" | "before";

function measure(variant: Variant): number {
  const args = [...preloadArguments(variant, before), "-e", "0"];
  const start = performance.now();
  const result = spawnSync(process.execPath, args, {
    encoding: "utf8",
    env: environmentWithoutLoopscope(),
  });
  const elapsed = performance.now() - start;
  if (result.status !== 0) {
    throw new Error(`startup ${variant} exited ${String(result.status)}: ${result.stderr}`);
  }
  return elapsed;
}

const variants: Variant[] =
  before === undefined ? ["off", "preload"] : ["off", "preload", "before"];
const samples: Record<Variant, number[]> = { off: [], preload: [], before: [] };
for (let round = 0; round < rounds; round++) {
  // Rotate the order, so no variant always runs first.
  for (let i = 0; i < variants.length; i++) {
    const variant = variants[(i + round) % variants.length]!;
    samples[variant].push(measure(variant));
  }
}
const round1 = (n: number): number => Math.round(n * 10) / 10;
const medianOf = (variant: Variant): number => median(samples[variant]);
process.stdout.write(
  `${JSON.stringify({
    bench: "startup",
    node: process.version,
    rounds,
    wallMs: Object.fromEntries(variants.map((variant) => [variant, round1(medianOf(variant))])),
    addedMs: round1(medianOf("preload") - medianOf("off")),
    ...(before === undefined
      ? {}
      : {
          before,
          beforeAddedMs: round1(medianOf("before") - medianOf("off")),
          // This build's preload against the other's, same rounds: 1 is no change.
          ratioToBefore: Math.round((medianOf("preload") / medianOf("before")) * 1000) / 1000,
        }),
  })}\n`,
);
