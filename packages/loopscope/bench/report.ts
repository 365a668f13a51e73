/**
 * Cost of stack capture and resolution, against a bare function call measured in the
 * same run. Prints one JSON object.
 *
 *   node --import tsx bench/report.ts [iterations]
 */
import { performance } from "node:perf_hooks";
import { captureStack, parseStack, resolveStack } from "../src/stacks/index.js";
import type { RawStack } from "../src/stacks/index.js";

const iterations = Number(process.argv[2] ?? 200_000);
/** Keeps results alive so the measured calls are not optimised away. */
let sink: unknown;

function bare(): object {
  return { at: 1 };
}

/** Nanoseconds per call of `fn`, best of three rounds (the machine is shared). */
function nsPerOp(fn: () => unknown, count: number): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const start = performance.now();
    for (let i = 0; i < count; i++) sink = fn();
    best = Math.min(best, ((performance.now() - start) * 1e6) / count);
  }
  return best;
}

// A few levels of application code, as a handler would have.
function level3(): RawStack {
  return captureStack();
}
function level2(): RawStack {
  return level3();
}
function level1(): RawStack {
  return level2();
}

const bareNs = nsPerOp(bare, iterations);
const captureNs = nsPerOp(level1, iterations);

// Resolution with a warm source-map cache: resolve one stack first.
const resolveCount = Math.max(1_000, Math.floor(iterations / 50));
// Warm the cache and the JIT: the figure is the steady cost of a report, not the first one.
for (let i = 0; i < 1_000; i++) resolveStack(level1());
const raws = Array.from({ length: resolveCount }, () => level1());
let frames = 0;
const resolveStart = performance.now();
for (const raw of raws) frames += resolveStack(raw).length;
const resolveNsPerFrame = ((performance.now() - resolveStart) * 1e6) / frames;

const text = new Error("bench").stack ?? "";
const textFrames = parseStack(text).length;
const parseNsPerFrame = nsPerOp(() => parseStack(text), resolveCount) / Math.max(1, textFrames);

process.stdout.write(
  `${JSON.stringify({
    bench: "report",
    iterations,
    bareCallNs: round(bareNs),
    captureStackNs: round(captureNs),
    captureVsBareCall: round(captureNs / bareNs),
    resolveStackNsPerFrame: round(resolveNsPerFrame),
    resolveFramesPerStack: round(frames / resolveCount),
    parseStackNsPerFrame: round(parseNsPerFrame),
    sinkKept: sink !== undefined,
    captureVsResolvePerStack: round(captureNs / (resolveNsPerFrame * (frames / resolveCount))),
  })}\n`,
);

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
