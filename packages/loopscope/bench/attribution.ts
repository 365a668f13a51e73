/**
 * What production mode costs, three ways at once, on two workloads that do the JSON work a
 * service does, each run in a fresh process:
 *   - http: a node:http server that reads a ~200-byte JSON body (POST), `JSON.parse`s it and
 *     answers `JSON.stringify` of a small object, under loopback load from autocannon in
 *     this process (20 connections, `--seconds`);
 *   - pipeline: a promise-heavy pipeline (22 promises a message, as bench/production.ts's)
 *     that `JSON.stringify`s each ~200-byte message, `JSON.parse`s it in the handler and
 *     stringifies the handler's answer, for `--seconds`; the loop turns every few ms
 *     (production.ts's every 70 ms or so, near the watchdog's 100 ms threshold, where a
 *     loaded machine makes stalls and their stack captures).
 * Variants, alternating (the order rotated each round): `none` (no preload), `preload`
 * (this build's dist/register.js, nothing configured: production mode) and, with
 * `--before DIR` (another built checkout), `before` (that build's register.js).
 *
 * For each run:
 *   - throughput: requests (autocannon's count over its duration) or messages per second;
 *   - CPU per unit of work: `process.cpuUsage()` in the child (every thread: the watchdog's
 *     and any other worker's included) from the first request or message to the end of the
 *     load, over the requests served or messages handled, and the main thread's part of it
 *     (Linux's `/proc/thread-self/schedstat`; the rest is the other threads'). Less disturbed
 *     by other load on the machine than throughput, and it sees what attribution cannot:
 *     the workers' CPU, sampling done outside JavaScript frames (a stack capture's walk in
 *     V8, a signal), the garbage collection of what loopscope allocates;
 *   - attribution, in separate profiled runs of the preload variants (`--cpu-prof
 *     --cpu-prof-interval 100`, alternating with the others): the share of the main
 *     thread's self samples, within the loaded window (the child reports its bounds on the
 *     same clock as the profile), in frames of loopscope's production code: a URL under
 *     loopscope's dist/ or src/ in watchdog, metrics, lifecycle, events, config, register,
 *     recorder, inspector, patches, stacks, render or tasks. The share is of the busy
 *     samples (`(idle)` left out: the main thread waits for the load generator on HTTP);
 *     the share of all samples is given beside it.
 *
 * `watchdog/native-calls` frames are left out of the attribution: V8's sampling profiler
 * gives a built-in no frame of its own, so `JSON.parse`'s and `JSON.stringify`'s own work
 * is counted in the frame that called them, the thin wrapper (and a wrapper inlined into
 * its caller counts in the caller's). That share is the JSON work of the application, not
 * loopscope's cost: the wrappers' cost (two reads of a shared word a call) is measured by
 * bench/native-calls.ts, and here by the paired CPU per unit. Their raw share is reported
 * apart, as `nativeCallWrapperShareRaw`, for transparency.
 *
 * What loopscope makes Node do in Node's own frames is not in loopscope's URLs: GC pauses
 * traced by an inspector session have Node parse and dispatch the trace's messages
 * (`node:inspector`); where they are observed instead (`--before` a build that did), Node
 * builds an entry for every collection and dispatches it (`node:internal/perf/observe`,
 * `performance_entry`). These workloads use neither themselves, so those frames are
 * counted apart (`nodeFramesSharePercent`) and added in `shareWithNodeFramesPercent`.
 *
 * Figures: medians, ratios to `none` of the same session, and paired ratios (the median of
 * the within-round ratios). Prints one JSON object.
 *
 * Usage (after `npm run build` at the root; about 2 minutes with the defaults):
 *   node --import tsx bench/attribution.ts [--rounds 3] [--seconds 3] [--before DIR]
 *     [--profile-interval 100]   (the profiler's sampling interval, in µs)
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import autocannon from "autocannon";
import { privateRuntimeDir } from "../../../scripts/child-env.mjs";
import {
  PIPELINE_HANDLER,
  beforeRegisterArgument,
  environmentWithoutLoopscope,
  median,
  positiveIntegerArgument,
} from "./common.js";

const rounds = positiveIntegerArgument("rounds", 3);
const seconds = positiveIntegerArgument("seconds", 3);
/** The profiler's sampling interval, in µs. */
const profileIntervalUs = positiveIntegerArgument("profile-interval", 100);
const before = beforeRegisterArgument();

const register = fileURLToPath(new URL("../dist/register.js", import.meta.url));
if (!existsSync(register)) {
  throw new Error(
    `bench/attribution.ts runs the built package: run \`npm run build\` first (${register} is missing)`,
  );
}

/** loopscope's production code, in a profile's URLs (built or source). */
const PRODUCTION_CODE =
  /loopscope\/(dist|src)\/(watchdog|metrics|lifecycle|events|config|register|recorder|inspector|patches|stacks|render|tasks)(\/|\.|$)/;
/** The native-call wrappers: their frames carry the wrapped built-in's own time. */
const NATIVE_CALL_WRAPPERS = /loopscope\/(dist|src)\/watchdog\/native-calls\./;
/**
 * Node's delivery of performance entries to a PerformanceObserver: the entry objects and
 * the observer's dispatch. These workloads observe nothing themselves, so it is the work
 * of loopscope's observers (the recorder's of `gc` entries, one entry per collection,
 * scavenges included), in Node's frames, which the URL attribution above does not see.
 */
const NODE_FRAMES = /^node:(inspector|internal\/perf\/(observe|performance_entry))$/;

type Variant = "none" | "preload" | "before";
const variants: Variant[] =
  before === undefined ? ["none", "preload"] : ["none", "preload", "before"];
const profiled: Variant[] = variants.filter((variant) => variant !== "none");
const preloadOf: Record<Variant, string | undefined> = {
  none: undefined,
  preload: register,
  before,
};

const dir = mkdtempSync(join(tmpdir(), "loopscope-attribution-"));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** A ~200-byte message, as a service's. */
const MESSAGE = {
  id: "m-000123",
  kind: "order",
  customer: "c-4711",
  items: [
    { sku: "A-100", qty: 2, price: 9.5 },
    { sku: "B-730", qty: 1, price: 24 },
  ],
  note: "leave at the door, ring twice",
  createdAt: "2026-12-04T18:00:00.000Z",
  seq: 0,
};
const BODY = JSON.stringify(MESSAGE);

/**
 * The main thread's CPU time in ns, from Linux's per-thread scheduler statistics (NaN
 * elsewhere): what of the process's CPU time is the main thread's, the rest being the
 * workers' (the watchdog's) and V8's and libuv's helper threads'.
 */
const MAIN_THREAD_NS = `import { readFileSync } from "node:fs";
const mainThreadNs = () => {
  try { return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]); } catch { return NaN; }
};`;

// Each child reports one JSON line at the end: the units of work, the CPU time of every
// thread over the loaded window, and the window's bounds in µs of the monotonic clock
// (V8's profile timestamps use the same clock).
const server = file(
  "server.mjs",
  `import { createServer } from "node:http";
${MAIN_THREAD_NS}
let served = 0;
let cpuAtFirst;
let mainAtFirst;
let firstUs;
const server = createServer((request, response) => {
  if (cpuAtFirst === undefined) {
    cpuAtFirst = process.cpuUsage();
    mainAtFirst = mainThreadNs();
    firstUs = Number(process.hrtime.bigint() / 1000n);
  }
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const order = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    let total = 0;
    for (const item of order.items) total += item.qty * item.price;
    const text = JSON.stringify({ ok: true, id: order.id, customer: order.customer, items: order.items.length, total, served: ++served });
    response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    response.end(text);
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ port: server.address().port }) + "\\n"));
process.on("SIGTERM", () => {
  const cpu = process.cpuUsage(cpuAtFirst);
  const mainThreadCpuUs = (mainThreadNs() - mainAtFirst) / 1000;
  const endUs = Number(process.hrtime.bigint() / 1000n);
  // A pipe's writes are synchronous on Linux: the line is out before the exit (which writes the profile).
  process.stdout.write(JSON.stringify({ units: served, cpuUs: cpu.user + cpu.system, mainThreadCpuUs, firstUs, endUs }) + "\\n");
  process.exit(0);
});
`,
);

const pipeline = file(
  "pipeline.mjs",
  `// 22 promises a message (10 awaited async stages, 2 each, and the handler's own 2), and
// three JSON calls: the message stringified (~200 bytes), parsed, the answer stringified.
${MAIN_THREAD_NS}
const message = ${BODY};
${PIPELINE_HANDLER}
const end = performance.now() + ${seconds * 1000};
let done = 0;
let bytes = 0;
async function consumer() {
  while (performance.now() < end) {
    message.seq = done;
    bytes += (await handle(JSON.stringify(message))).length;
    // Let the loop turn, as a service's I/O would: one consumer in 16 messages waits for the
    // next turn, so the loop turns every 64 * 16 messages (a few ms), well under the
    // watchdog's 100 ms: no stalls, production mode's steady cost.
    if (++done % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}
const cpuAtFirst = process.cpuUsage();
const mainAtFirst = mainThreadNs();
const firstUs = Number(process.hrtime.bigint() / 1000n);
await Promise.all(Array.from({ length: 64 }, consumer));
const cpu = process.cpuUsage(cpuAtFirst);
const mainThreadCpuUs = (mainThreadNs() - mainAtFirst) / 1000;
const endUs = Number(process.hrtime.bigint() / 1000n);
process.stdout.write(JSON.stringify({ units: done, cpuUs: cpu.user + cpu.system, mainThreadCpuUs, firstUs, endUs, bytes }) + "\\n");
`,
);

const childEnv = {
  ...environmentWithoutLoopscope(),
  // The preload's rendezvous files (markers, dumps) in a directory of this bench's own.
  XDG_RUNTIME_DIR: privateRuntimeDir("loopscope-attribution"),
};

interface ChildLine {
  readonly units: number;
  readonly cpuUs: number;
  readonly mainThreadCpuUs: number;
  readonly firstUs: number;
  readonly endUs: number;
}
interface Run {
  readonly perSecond: number;
  readonly cpuUsPerUnit: number;
  readonly window: ChildLine;
  readonly profileDir: string | undefined;
}

let profileRuns = 0;
function nodeArgs(variant: Variant, profile: boolean): { args: string[]; profileDir?: string } {
  const preload = preloadOf[variant];
  const args = preload === undefined ? [] : ["--import", pathToFileURL(preload).href];
  if (!profile) return { args };
  const profileDir = join(dir, `profile-${variant}-${++profileRuns}`);
  args.unshift(
    "--cpu-prof",
    `--cpu-prof-dir=${profileDir}`,
    "--cpu-prof-interval",
    String(profileIntervalUs),
  );
  return { args, profileDir };
}

/** Starts `script` under `variant`; resolves with its stdout lines as they come. */
function start(variant: Variant, profile: boolean, script: string) {
  const { args, profileDir } = nodeArgs(variant, profile);
  const child = spawn(process.execPath, [...args, script], {
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<string[]>((resolve, reject) => {
    child.once("exit", (code, signal) => {
      if (code === 0) resolve(stdout.trim().split("\n"));
      else reject(new Error(`${script} (${variant}) exited ${String(code ?? signal)}:\n${stderr}`));
    });
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const newline = stdout.indexOf("\n");
      if (newline !== -1) {
        child.stdout.off("data", check);
        resolve(stdout.slice(0, newline));
      }
    };
    child.stdout.on("data", check);
    exited.then(() => reject(new Error(`${script} (${variant}) printed nothing`)), reject);
  });
  return { child, exited, firstLine, profileDir };
}

async function runHttp(variant: Variant, profile: boolean): Promise<Run> {
  const { child, exited, firstLine, profileDir } = start(variant, profile, server);
  const { port } = JSON.parse(await firstLine) as { port: number };
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/order`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: BODY,
    connections: 20,
    duration: seconds,
  });
  child.kill("SIGTERM");
  const lines = await exited;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`http (${variant}): ${result.non2xx} answers not 2xx, ${result.errors} errors`);
  }
  const window = JSON.parse(lines.at(-1)!) as ChildLine;
  return {
    perSecond: result.requests.total / result.duration,
    cpuUsPerUnit: window.cpuUs / window.units,
    window,
    profileDir,
  };
}

async function runPipeline(variant: Variant, profile: boolean): Promise<Run> {
  const { exited, profileDir } = start(variant, profile, pipeline);
  const window = JSON.parse((await exited).at(-1)!) as ChildLine;
  return {
    perSecond: window.units / ((window.endUs - window.firstUs) / 1e6),
    cpuUsPerUnit: window.cpuUs / window.units,
    window,
    profileDir,
  };
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}
interface Tally {
  samples: number;
  busy: number;
  loopscope: number;
  nativeCallWrappers: number;
  nodeFrames: number;
  readonly byFunction: Map<string, number>;
}

/** The main thread's profile of a run (thread id 0 in Node's file name). */
function mainThreadProfile(profileDir: string): CpuProfile {
  const name = readdirSync(profileDir).find((file) =>
    /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(file),
  );
  if (name === undefined) throw new Error(`no main-thread .cpuprofile in ${profileDir}`);
  return JSON.parse(readFileSync(join(profileDir, name), "utf8")) as CpuProfile;
}

/** Adds a run's samples within its loaded window to `tally`; answers the run's own. */
function attribute(run: Run, tally: Tally): Omit<Tally, "byFunction"> {
  const profile = mainThreadProfile(run.profileDir!);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const own = { samples: 0, busy: 0, loopscope: 0, nativeCallWrappers: 0, nodeFrames: 0 };
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i]!;
    if (at < run.window.firstUs || at > run.window.endUs) continue;
    const frame = nodes.get(profile.samples[i]!);
    own.samples++;
    if (frame === undefined || frame.functionName === "(idle)") continue;
    own.busy++;
    if (NATIVE_CALL_WRAPPERS.test(frame.url)) {
      own.nativeCallWrappers++;
    } else if (NODE_FRAMES.test(frame.url)) {
      own.nodeFrames++;
    } else if (PRODUCTION_CODE.test(frame.url)) {
      own.loopscope++;
      const where = frame.url.slice(frame.url.lastIndexOf("loopscope/"));
      const key = `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`;
      tally.byFunction.set(key, (tally.byFunction.get(key) ?? 0) + 1);
    }
  }
  if (own.samples === 0) {
    throw new Error(`no profile samples in the loaded window of ${run.profileDir!}`);
  }
  tally.samples += own.samples;
  tally.busy += own.busy;
  tally.loopscope += own.loopscope;
  tally.nativeCallWrappers += own.nativeCallWrappers;
  tally.nodeFrames += own.nodeFrames;
  return own;
}

const round = (value: number, digits: number): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};
const percent = (part: number, whole: number): number => round((part / whole) * 100, 3);

async function measure(run: (variant: Variant, profile: boolean) => Promise<Run>) {
  const runs: Record<Variant, Run[]> = { none: [], preload: [], before: [] };
  const profiles: Record<Variant, Run[]> = { none: [], preload: [], before: [] };
  const slots: { variant: Variant; profile: boolean }[] = [
    ...variants.map((variant) => ({ variant, profile: false })),
    ...profiled.map((variant) => ({ variant, profile: true })),
  ];
  for (let r = 0; r < rounds; r++) {
    // Rotated, so no variant always runs first or right after the same neighbour.
    for (let i = 0; i < slots.length; i++) {
      const { variant, profile } = slots[(i + r) % slots.length]!;
      const result = await run(variant, profile);
      (profile ? profiles : runs)[variant].push(result);
    }
  }

  const summary = (values: (run: Run) => number, variant: Variant, digits: number) => {
    const mine = runs[variant].map(values);
    const base = runs.none.map(values);
    const m = median(mine);
    return {
      median: round(m, digits),
      ratio: round(m / median(base), 3),
      // The median of the within-round ratios: the same neighbours in time.
      pairedRatio: round(median(mine.map((value, i) => value / base[i]!)), 3),
      // This variant's runs around its median: the noise floor.
      spread: [round(Math.min(...mine) / m, 3), round(Math.max(...mine) / m, 3)],
      runs: mine.map((value) => round(value, digits)),
    };
  };

  const byVariant = Object.fromEntries(
    variants.map((variant) => {
      const figures: Record<string, unknown> = {
        perSecond: summary((run) => run.perSecond, variant, 0),
        cpuUsPerUnit: summary((run) => run.cpuUsPerUnit, variant, 3),
        mainThreadCpuUsPerUnit: summary(
          (run) => run.window.mainThreadCpuUs / run.window.units,
          variant,
          3,
        ),
        otherThreadsCpuUsPerUnit: summary(
          (run) => (run.window.cpuUs - run.window.mainThreadCpuUs) / run.window.units,
          variant,
          3,
        ),
      };
      if (variant !== "none") {
        const tally: Tally = {
          samples: 0,
          busy: 0,
          loopscope: 0,
          nativeCallWrappers: 0,
          nodeFrames: 0,
          byFunction: new Map(),
        };
        const perRun = profiles[variant].map((result) => {
          const own = attribute(result, tally);
          return percent(own.loopscope, own.busy);
        });
        figures.attribution = {
          profiles: profiles[variant].length,
          samples: tally.samples,
          busySamples: tally.busy,
          loopscopeSamples: tally.loopscope,
          sharePercent: percent(tally.loopscope, tally.busy),
          shareOfAllSamplesPercent: percent(tally.loopscope, tally.samples),
          sharePercentPerRun: perRun,
          nativeCallWrapperShareRaw: percent(tally.nativeCallWrappers, tally.busy),
          nodeFramesSharePercent: percent(tally.nodeFrames, tally.busy),
          shareWithNodeFramesPercent: percent(tally.loopscope + tally.nodeFrames, tally.busy),
          top: Object.fromEntries([...tally.byFunction].sort((a, b) => b[1] - a[1]).slice(0, 5)),
        };
      }
      return [variant, figures];
    }),
  );
  return {
    ...byVariant,
    ...(before === undefined
      ? {}
      : {
          // This build against the other, same rounds: 1 is no change.
          preloadAgainstBefore: {
            perSecondRatio: round(
              median(runs.preload.map((run) => run.perSecond)) /
                median(runs.before.map((run) => run.perSecond)),
              3,
            ),
            cpuUsPerUnitRatio: round(
              median(runs.preload.map((run) => run.cpuUsPerUnit)) /
                median(runs.before.map((run) => run.cpuUsPerUnit)),
              3,
            ),
          },
        }),
  };
}

try {
  const loadAtStart = loadavg().map((value) => round(value, 2));
  const http = await measure(runHttp);
  const pipelineFigures = await measure(runPipeline);
  const result = {
    bench: "production mode's cost: CPU-profile attribution, CPU per unit of work, throughput",
    node: process.version,
    cores: availableParallelism(),
    rounds,
    secondsPerRun: seconds,
    profileIntervalUs,
    loadAverage: { start: loadAtStart, end: loadavg().map((value) => round(value, 2)) },
    variants: {
      none: "no preload",
      preload: `this build's preload, nothing configured (production mode): ${register}`,
      ...(before === undefined ? {} : { before: `the preload of --before: ${before}` }),
    },
    reading: {
      perSecond: "requests (autocannon's count over its duration) or messages per second",
      cpuUsPerUnit:
        "process.cpuUsage() of the child (every thread) from the first request or message to the end of the load, over the units of work",
      mainThreadCpuUsPerUnit:
        "the main thread's part of it (/proc/thread-self/schedstat); otherThreadsCpuUsPerUnit the rest: the watchdog's worker, V8's and libuv's helper threads",
      attribution: `main-thread self samples within the loaded window, in separate --cpu-prof runs (${profileIntervalUs} µs), in URLs matching ${PRODUCTION_CODE.source}; sharePercent of the busy samples ((idle) left out), shareOfAllSamplesPercent of all`,
      nativeCallWrappers: `frames matching ${NATIVE_CALL_WRAPPERS.source} are left out of the attribution: V8's profiler counts a wrapped built-in's own time (JSON.parse's, JSON.stringify's work) in the thin wrapper's frame, so their share (nativeCallWrapperShareRaw, % of busy samples) is the application's JSON work, not loopscope's cost; the wrappers' cost is measured by bench/native-calls.ts and, here, by the paired CPU per unit`,
      nodeFrames: `Node's frames matching ${NODE_FRAMES.source} (nodeFramesSharePercent, % of busy samples): the GC trace's messages parsed and dispatched to loopscope's inspector session, or performance entries delivered to observers (here only a build's that observed gc entries); shareWithNodeFramesPercent adds them to sharePercent`,
      notSeenByAttribution:
        "the workers' CPU (the watchdog's, the inspector's), sampling outside JavaScript frames, garbage collection of loopscope's allocations: the CPU per unit covers them",
    },
    http: {
      unit: "requests",
      load: `autocannon, 20 connections, ${seconds} s, POST of ${Buffer.byteLength(BODY)} bytes of JSON; the server parses it and answers JSON.stringify of a small object`,
      ...http,
    },
    pipeline: {
      unit: "messages",
      workload: `64 consumers, 22 promises a message, JSON.stringify of a ${Buffer.byteLength(BODY)}-byte message, JSON.parse of it, JSON.stringify of the answer; ${seconds} s`,
      ...pipelineFigures,
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
