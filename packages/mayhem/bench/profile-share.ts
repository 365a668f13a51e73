/**
 * The share of a CPU profile's main-thread samples spent in loopscope's preload (its
 * watchdog, metrics, event stream, configuration and start-up; not the tasks Mayhem uses
 * whether the preload is on or not), over every `.cpuprofile` in a directory: the
 * attribution measure of production mode's cost, which machine noise does not reach.
 *
 * Usage (after `npm run build` at the root):
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import loopscope/register \
 *     packages/mayhem/dist/cli/main.js bench --messages 200000      # as many runs as you like
 *   node --import tsx packages/mayhem/bench/profile-share.ts /tmp/prof
 * Prints one JSON object: samples in all, in the preload's code, the share, the top functions.
 *
 * The native-call wrappers (`watchdog/native-calls`) are left out of the preload's share and
 * counted apart (`nativeCallWrapperSamples`): V8's profiler gives a built-in no frame of its
 * own, so the time of a wrapped `JSON.parse` or `JSON.stringify` is counted in the thin
 * wrapper's frame; their share is the wrapped calls' own work, not loopscope's cost (that is
 * measured by loopscope's bench/native-calls.ts and bench/attribution.ts).
 *
 * Node's frames doing the preload's work are counted apart too (`nodeFramesSamples`): the
 * GC trace's messages parsed and dispatched to loopscope's inspector session
 * (`node:inspector`), or, for a build that observed `gc` entries, their delivery
 * (`node:internal/perf/*`); Mayhem uses neither itself. Shares are given of all samples and
 * of the busy ones (`(idle)` left out), the preload's with and without those frames.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** The preload's own code, as it appears in profile URLs (built or source). */
const PRELOAD_CODE =
  /loopscope\/(dist|src)\/(watchdog|metrics|lifecycle|events|config|register|recorder)/;
/** The native-call wrappers: their frames carry the wrapped built-in's own time. */
const NATIVE_CALL_WRAPPERS = /loopscope\/(dist|src)\/watchdog\/native-calls\./;
/** Node's own frames doing the preload's work (see above). */
const NODE_FRAMES = /^node:(inspector|internal\/perf\/(observe|performance_entry))$/;

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
}

const dir = process.argv[2];
if (dir === undefined) {
  throw new TypeError("usage: profile-share.ts <directory of .cpuprofile files>");
}
const files = readdirSync(dir).filter((file) => file.endsWith(".cpuprofile"));
if (files.length === 0) throw new Error(`no .cpuprofile files in ${dir}`);

let total = 0;
let busy = 0;
let preload = 0;
let nodeFrames = 0;
let nativeCallWrappers = 0;
const byFunction = new Map<string, number>();
for (const file of files) {
  const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const id of profile.samples) {
    total++;
    const frame = nodes.get(id)?.callFrame;
    if (frame === undefined) continue;
    if (frame.functionName !== "(idle)") busy++;
    if (NODE_FRAMES.test(frame.url)) {
      nodeFrames++;
      continue;
    }
    if (NATIVE_CALL_WRAPPERS.test(frame.url)) {
      nativeCallWrappers++;
      continue;
    }
    if (!PRELOAD_CODE.test(frame.url)) continue;
    preload++;
    const where = frame.url.slice(frame.url.indexOf("loopscope/"));
    const key = `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + 1);
  }
}
const percent = (part: number, whole: number): number =>
  Math.round((part / whole) * 100_000) / 1000;
const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 10);
process.stdout.write(
  `${JSON.stringify({
    bench: "profile-share",
    profiles: files.length,
    samples: total,
    busySamples: busy,
    preloadSamples: preload,
    preloadSharePercent: percent(preload, total),
    preloadShareOfBusyPercent: percent(preload, busy),
    nodeFramesSamples: nodeFrames,
    withNodeFramesShareOfBusyPercent: percent(preload + nodeFrames, busy),
    // Left out of the preload's share: the wrapped built-ins' own work (see above).
    nativeCallWrapperSamples: nativeCallWrappers,
    nativeCallWrapperSharePercent: percent(nativeCallWrappers, total),
    top: Object.fromEntries(top),
  })}\n`,
);
