/**
 * What debug mode costs a real service: the built Mayhem CLI's `mayhem bench` (a fixed
 * number of messages through the memory broker, one task per message) without loopscope,
 * with the preload in production mode, and with the preload and `LOOPSCOPE_DEBUG=1`.
 * Fresh processes, alternating variants, medians of the runs; prints one JSON object whose
 * `slowdown` figures are ratios against the run without loopscope (the budget: debug < 3).
 *
 * Run (after `npm run build` at the root):
 * `node --import tsx bench/debug-mayhem.ts [--messages 50000] [--runs 3]`.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { environmentWithoutLoopscope, median, positiveIntegerArgument } from "./common.js";

const messages = positiveIntegerArgument("messages", 50_000);
const runs = positiveIntegerArgument("runs", 3);
const mayhemDir = fileURLToPath(new URL("../../mayhem/", import.meta.url));
const mayhemCli = fileURLToPath(new URL("../../mayhem/dist/cli/main.js", import.meta.url));
if (!existsSync(mayhemCli)) {
  throw new Error(`${mayhemCli} is missing: run \`npm run build\` at the repository root`);
}

type Variant = "off" | "production" | "debug";
const VARIANTS: readonly Variant[] = ["off", "production", "debug"];

/** This environment without LOOPSCOPE_* or NODE_OPTIONS, plus the variant's. */
function environment(variant: Variant): NodeJS.ProcessEnv {
  const env = environmentWithoutLoopscope();
  if (variant === "debug") env.LOOPSCOPE_DEBUG = "1";
  return env;
}

interface Measured {
  readonly msgsPerS: number;
  readonly peakRssMb: number;
}

/** One `mayhem bench` in a fresh process; its last stdout line is its JSON result. */
function measure(variant: Variant): Measured {
  const args = [
    ...(variant === "off" ? [] : ["--import", "loopscope/register"]),
    mayhemCli,
    "bench",
    "--messages",
    String(messages),
  ];
  // cwd: packages/mayhem, where `loopscope` resolves to the workspace package.
  const child = spawnSync(process.execPath, args, {
    cwd: mayhemDir,
    env: environment(variant),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.status !== 0) {
    throw new Error(`mayhem bench (${variant}) exited with ${child.status}:\n${child.stderr}`);
  }
  const last = child.stdout.trim().split("\n").at(-1) ?? "";
  const result = JSON.parse(last) as { msgs_per_s: number; peak_rss_mb: number };
  return { msgsPerS: result.msgs_per_s, peakRssMb: result.peak_rss_mb };
}

const samples = new Map<Variant, Measured[]>(VARIANTS.map((v) => [v, []]));
for (let run = 0; run < runs; run++) {
  // Rotate the order each run, so no variant always runs first (or right after another).
  for (let i = 0; i < VARIANTS.length; i++) {
    const variant = VARIANTS[(run + i) % VARIANTS.length]!;
    samples.get(variant)!.push(measure(variant));
  }
}

const rate = (variant: Variant): number => median(samples.get(variant)!.map((m) => m.msgsPerS));
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
    VARIANTS.map((v) => [v, median(samples.get(v)!.map((m) => m.peakRssMb))]),
  ),
  samples: Object.fromEntries(
    VARIANTS.map((v) => [v, samples.get(v)!.map((m) => Math.round(m.msgsPerS))]),
  ),
};
console.log(JSON.stringify(result));
