/**
 * The ways a process can learn its garbage-collection pauses, and what each costs a busy
 * program: the options for the flight recorder's GC pauses and the `gc` stall cause. Each
 * variant runs the same promise pipeline (22 promises and three JSON calls a message, as
 * `bench/attribution.ts`'s) in a fresh process, the variants alternating round by round:
 *
 * - `none`: nothing but a 25 ms timer (the heartbeat's beat), the baseline;
 * - `trace-events`: this build's GC tracking (`src/recorder/gc.ts`, `trackGcPauses`), which
 *   reads V8's trace events of the pauses through an inspector session on the main thread
 *   when asked and every 2 s (`gc-trace.ts`); the run fails if it fell back to the observer;
 * - `perf-observer`: a PerformanceObserver of `gc` entries, each kept in typed arrays (the
 *   fallback, and what the build before did): Node makes an entry per collection and hands
 *   it to the observer in JavaScript on the main thread;
 * - `gc-profiler`: `v8.GCProfiler` stopped and started again at each 25 ms beat (it gives a
 *   cost per collection and no start time, so the beat must bracket them).
 *
 * For each: CPU per message of the main thread (`/proc/thread-self/schedstat`) and of every
 * thread, as ratios to `none` in the same round (medians of the rounds), and the collections
 * and GC milliseconds a second each variant saw (`none` sees none). Prints one JSON object.
 *
 * Run (Linux, after `npm run build` at the root):
 * `node --import tsx bench/gc-tracking.ts [--rounds 5] [--seconds 3]` (about a minute).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  PIPELINE_HANDLER,
  environmentWithoutLoopscope,
  median,
  positiveIntegerArgument,
} from "./common.js";

const rounds = positiveIntegerArgument("rounds", 5);
const seconds = positiveIntegerArgument("seconds", 3);

const VARIANTS = ["none", "trace-events", "perf-observer", "gc-profiler"] as const;
type Variant = (typeof VARIANTS)[number];

const gcModule = fileURLToPath(new URL("../dist/recorder/gc.js", import.meta.url));
if (!existsSync(gcModule)) {
  throw new Error(`run \`npm run build\` at the repository root first (${gcModule} is missing)`);
}

const dir = mkdtempSync(join(tmpdir(), "loopscope-gc-tracking-"));
const pipeline = join(dir, "pipeline.mjs");

writeFileSync(
  pipeline,
  `import { readFileSync } from "node:fs";
import { PerformanceObserver } from "node:perf_hooks";
import v8 from "node:v8";
const variant = process.argv[2];
const seconds = Number(process.argv[3]);
const mainThreadNs = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
let pauses = 0, pauseMs = 0;
const beat = setInterval(() => {}, 25);
let stop = async () => {};
if (variant === "perf-observer") {
  const starts = new Float64Array(1024), durations = new Float64Array(1024);
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      starts[pauses % 1024] = entry.startTime; durations[pauses % 1024] = entry.duration;
      pauses++; pauseMs += entry.duration;
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  stop = async () => observer.disconnect();
} else if (variant === "gc-profiler") {
  const profiler = new v8.GCProfiler();
  profiler.start();
  const restart = setInterval(() => {
    for (const gc of profiler.stop().statistics) { pauses++; pauseMs += gc.cost / 1000; }
    profiler.start();
  }, 25);
  stop = async () => { clearInterval(restart); profiler.stop(); };
} else if (variant === "trace-events") {
  const gc = await import(${JSON.stringify(pathToFileURL(gcModule).href)});
  const untrack = gc.trackGcPauses();
  if (gc.gcTrackingSource() !== "trace-events") throw new Error("GC pauses are not traced here: " + gc.gcTrackingSource());
  gc.onGcPause((start, duration) => { pauses++; pauseMs += duration; });
  stop = async () => { gc.collectGcPauses(); gc.onGcPause(undefined); untrack(); };
}
const message = { id: "order-1", seq: 0, items: [{ sku: "a1", qty: 2 }, { sku: "b2", qty: 1 }], customer: { name: "Ada", email: "ada@example.com" }, note: "x".repeat(60) };
${PIPELINE_HANDLER}
const end = performance.now() + seconds * 1000;
let done = 0;
async function consumer() {
  while (performance.now() < end) {
    message.seq = done;
    await handle(JSON.stringify(message));
    if (++done % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}
const cpuAtFirst = process.cpuUsage();
const mainAtFirst = mainThreadNs();
const t0 = performance.now();
await Promise.all(Array.from({ length: 64 }, consumer));
const cpu = process.cpuUsage(cpuAtFirst);
const mainNs = mainThreadNs() - mainAtFirst;
const wallS = (performance.now() - t0) / 1000;
await stop();
clearInterval(beat);
console.log(JSON.stringify({ mainNsPerMessage: mainNs / done, cpuNsPerMessage: ((cpu.user + cpu.system) * 1000) / done, perSecond: done / wallS, pausesPerSecond: pauses / wallS, pauseMsPerSecond: pauseMs / wallS }));
`,
);

interface Line {
  readonly mainNsPerMessage: number;
  readonly cpuNsPerMessage: number;
  readonly perSecond: number;
  readonly pausesPerSecond: number;
  readonly pauseMsPerSecond: number;
}

function run(variant: Variant): Line {
  const result = spawnSync(process.execPath, [pipeline, variant, String(seconds)], {
    encoding: "utf8",
    env: environmentWithoutLoopscope(),
  });
  if (result.status !== 0) {
    throw new Error(`gc-tracking ${variant} exited ${String(result.status)}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "") as Line;
}

const lines: Record<Variant, Line[]> = {
  none: [],
  "trace-events": [],
  "perf-observer": [],
  "gc-profiler": [],
};
try {
  for (let round = 0; round < rounds; round++) {
    // Rotated each round, so no variant always runs first (or right after a given one).
    for (let i = 0; i < VARIANTS.length; i++) {
      const variant = VARIANTS[(i + round) % VARIANTS.length]!;
      lines[variant].push(run(variant));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;
/** The median over rounds of `variant`'s figure over `none`'s of the same round. */
const pairedRatio = (variant: Variant, figure: keyof Line): number =>
  round3(median(lines[variant].map((line, i) => line[figure] / lines.none[i]![figure])));
const medianOf = (variant: Variant, figure: keyof Line): number =>
  round3(median(lines[variant].map((line) => line[figure])));

process.stdout.write(
  `${JSON.stringify({
    bench: "gc-tracking",
    node: process.version,
    rounds,
    seconds,
    variants: Object.fromEntries(
      VARIANTS.map((variant) => [
        variant,
        {
          mainNsPerMessage: medianOf(variant, "mainNsPerMessage"),
          cpuNsPerMessage: medianOf(variant, "cpuNsPerMessage"),
          perSecond: Math.round(median(lines[variant].map((line) => line.perSecond))),
          pausesPerSecond: medianOf(variant, "pausesPerSecond"),
          pauseMsPerSecond: medianOf(variant, "pauseMsPerSecond"),
          ...(variant === "none"
            ? {}
            : {
                mainThreadRatio: pairedRatio(variant, "mainNsPerMessage"),
                allThreadsRatio: pairedRatio(variant, "cpuNsPerMessage"),
                mainThreadRatios: lines[variant].map((line, i) =>
                  round3(line.mainNsPerMessage / lines.none[i]!.mainNsPerMessage),
                ),
              }),
        },
      ]),
    ),
  })}\n`,
);
