/**
 * What loopscope's debug mode costs a real service: the built Mayhem CLI's `mayhem bench` (a
 * fixed number of messages through the memory broker, one task per message) without loopscope,
 * with the preload in production mode, and with the preload and `LOOPSCOPE_DEBUG=1`. Fresh
 * processes, alternating variants, medians of the runs; prints one JSON object whose `slowdown`
 * figures are ratios against the run without loopscope (the budget: debug < 3).
 *
 * Run (after `npm run build` at the root):
 * `node --import tsx packages/mayhem/bench/debug-mayhem.ts [--messages 50000] [--runs 3]`.
 */
import { parseArgs } from "node:util";
import type { MayhemBenchLine } from "./common.js";
import {
  environmentWithoutLoopscope,
  median,
  positiveInteger,
  requireBuild,
  rotated,
  runMayhemBench,
} from "./common.js";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "50000" },
    runs: { type: "string", default: "3" },
  },
});
const messages = positiveInteger("messages", values.messages);
const runs = positiveInteger("runs", values.runs);
requireBuild();

type Variant = "off" | "production" | "debug";
const VARIANTS: readonly Variant[] = ["off", "production", "debug"];

/** One `mayhem bench` of `variant` in a fresh process. */
function measure(variant: Variant): Promise<MayhemBenchLine> {
  const env = environmentWithoutLoopscope();
  if (variant === "debug") env.LOOPSCOPE_DEBUG = "1";
  const preload = variant === "off" ? [] : ["--import", "loopscope/register"];
  return runMayhemBench(preload, messages, env);
}

const samples = new Map<Variant, MayhemBenchLine[]>(VARIANTS.map((v) => [v, []]));
for (let run = 0; run < runs; run++) {
  for (const variant of rotated(VARIANTS, run)) samples.get(variant)!.push(await measure(variant));
}

const rate = (variant: Variant): number => median(samples.get(variant)!.map((m) => m.msgs_per_s));
const offRate = rate("off");
const result = {
  bench: "debug-mayhem",
  messages,
  runs,
  msgsPerS: Object.fromEntries(VARIANTS.map((v) => [v, Math.round(rate(v))])),
  slowdown: {
    production: Number((offRate / rate("production")).toFixed(2)),
    debug: Number((offRate / rate("debug")).toFixed(2)),
  },
  peakRssMb: Object.fromEntries(
    VARIANTS.map((v) => [v, median(samples.get(v)!.map((m) => m.peak_rss_mb))]),
  ),
  samples: Object.fromEntries(
    VARIANTS.map((v) => [v, samples.get(v)!.map((m) => Math.round(m.msgs_per_s))]),
  ),
};
console.log(JSON.stringify(result));
