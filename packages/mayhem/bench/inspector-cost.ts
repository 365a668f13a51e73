/**
 * What loopscope's inspector costs Mayhem with a dashboard open: `mayhem bench --messages N`
 * under the preload (`--import loopscope/register`) with the inspector on
 * (`LOOPSCOPE_INSPECT=0`) and one client subscribed as the dashboard is, against the same
 * preload with the inspector off. Goal: under 3 % of the throughput lost (under 1 % hoped).
 *
 * - Paired runs, each in a fresh process: off and on in every round, the order rotated from
 *   round to round; the figures are medians, every run listed, the spread of each variant's
 *   runs around its median, and the median of the on/off ratios within a round.
 * - The client (`inspector-client.ts`, in this process, not in the measured one) reads the
 *   URL and token from the child's stderr line, opens `/api/live` with the Bearer header,
 *   subscribes `{"tasks":{"limit":200,"sort":"age"}}` (pushed about once a second) and polls
 *   `GET /api/loop` and `GET /api/events` every 2 s.
 * - Each child also loads a small preload of this bench's (written to a temporary folder)
 *   that notes the thread of each `Worker` as it is created (the threads appearing in
 *   `/proc/self/task` during `new Worker`: Node 20 does not name its threads) and reads every
 *   thread's CPU time from `/proc/self/task/<tid>/schedstat`: the main thread's, the
 *   inspector's server thread's (`loopscope-inspector`), the watchdog's, the rest.
 * - Attribution: `--profile-runs` more "on" runs under `--cpu-prof`; the main thread's samples
 *   with the inspector's code on the stack (`dist/inspector/`, and the finished-task history
 *   it keeps, `dist/tasks/history`), self and inclusive (what that code calls: JSON.stringify,
 *   postMessage), as a share of all samples and of the non-idle ones.
 *
 * Usage (after `npm run build` at the root; Linux, for /proc):
 *   node --import tsx packages/mayhem/bench/inspector-cost.ts [--rounds 7] [--messages 200000]
 *     [--profile-runs 1]
 * Prints one JSON object.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { privateRuntimeDir } from "../../../scripts/child-env.mjs";
import type { MayhemBenchLine } from "./common.js";
import {
  environmentWithoutLoopscope,
  mayhemCli,
  mayhemDir,
  median,
  positiveInteger,
  requireBuild,
  rotated,
} from "./common.js";
import type { Dashboard, DashboardCounts } from "./inspector-client.js";
import {
  DASHBOARD_SUBSCRIPTION,
  POLL_INTERVAL_MS,
  connectDashboard,
  parseInspectorLine,
} from "./inspector-client.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "7" },
    messages: { type: "string", default: "200000" },
    "profile-runs": { type: "string", default: "1" },
  },
});
const rounds = positiveInteger("rounds", values.rounds);
const messages = positiveInteger("messages", values.messages);
const profileRuns =
  values["profile-runs"] === "0" ? 0 : positiveInteger("profile-runs", values["profile-runs"]);

requireBuild();
const require = createRequire(import.meta.url);
const register = pathToFileURL(require.resolve("loopscope/register")).href;
const dir = mkdtempSync(join(tmpdir(), "mayhem-inspector-cost-"));

/** The child's thread accounting (see the header): written to `$BENCH_THREAD_CPU_FILE` at exit. */
const threadCpuPreload = join(dir, "thread-cpu.mjs");
writeFileSync(
  threadCpuPreload,
  `import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";
const threads = createRequire(import.meta.url)("node:worker_threads");
const named = new Map();
const tids = () => new Set(readdirSync("/proc/self/task"));
const Original = threads.Worker;
threads.Worker = class Worker extends Original {
  constructor(filename, options) {
    const before = tids();
    super(filename, options);
    for (const tid of tids()) if (!before.has(tid)) named.set(tid, options?.name ?? "worker");
  }
};
syncBuiltinESMExports();
const last = new Map();
function cpuNs(tid) {
  try {
    return Number(readFileSync("/proc/self/task/" + tid + "/schedstat", "utf8").split(" ")[0]);
  } catch {
    return undefined;
  }
}
function read() {
  for (const tid of readdirSync("/proc/self/task")) {
    const ns = cpuNs(tid);
    if (ns !== undefined) last.set(tid, ns);
  }
}
// A thread gone before exit keeps its last reading (at most 100 ms old).
setInterval(read, 100).unref();
process.on("exit", () => {
  read();
  const byName = {};
  let other = 0;
  for (const [tid, ns] of last) {
    if (tid === String(process.pid)) continue;
    const name = named.get(tid);
    if (name === undefined) other += ns;
    else byName[name] = (byName[name] ?? 0) + ns;
  }
  const cpu = process.cpuUsage();
  writeFileSync(process.env.BENCH_THREAD_CPU_FILE, JSON.stringify({
    mainMs: (last.get(String(process.pid)) ?? 0) / 1e6,
    processMs: (cpu.user + cpu.system) / 1e3,
    workersMs: Object.fromEntries(Object.entries(byName).map(([k, v]) => [k, v / 1e6])),
    otherThreadsMs: other / 1e6,
  }));
});
`,
);

interface ThreadCpu {
  readonly mainMs: number;
  readonly processMs: number;
  readonly workersMs: Record<string, number>;
  readonly otherThreadsMs: number;
}

type Variant = "off" | "on";

interface Run {
  readonly bench: MayhemBenchLine;
  readonly cpu: ThreadCpu;
  readonly dashboard: DashboardCounts | undefined;
}

const baseEnv = {
  ...environmentWithoutLoopscope(),
  // loopscope's rendezvous files (the inspector's address file) go to a folder of our own.
  XDG_RUNTIME_DIR: privateRuntimeDir("mayhem-inspector-cost"),
};

let runCount = 0;

/** One `mayhem bench` in a fresh process; with the inspector on, the dashboard client connects. */
async function runOnce(variant: Variant, extraNodeArgs: readonly string[] = []): Promise<Run> {
  const cpuFile = join(dir, `cpu-${runCount++}.json`);
  const env: NodeJS.ProcessEnv = { ...baseEnv, BENCH_THREAD_CPU_FILE: cpuFile };
  if (variant === "on") env.LOOPSCOPE_INSPECT = "0";
  const args = [
    ...extraNodeArgs,
    "--import",
    pathToFileURL(threadCpuPreload).href,
    "--import",
    register,
    mayhemCli,
    "bench",
    "--messages",
    String(messages),
  ];
  const child = spawn(process.execPath, args, { cwd: mayhemDir, env, stdio: "pipe" });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const connecting: Promise<Dashboard>[] = [];
  createInterface({ input: child.stderr }).on("line", (line) => {
    stderr += `${line}\n`;
    const address = parseInspectorLine(line);
    if (address !== undefined) connecting.push(connectDashboard(address.url, address.token));
  });
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  const dashboards = await Promise.all(connecting);
  for (const dashboard of dashboards) dashboard.close();
  if (code !== 0) throw new Error(`mayhem bench (${variant}) exited with ${code}:\n${stderr}`);
  if (variant === "on" && dashboards.length === 0) {
    throw new Error(`the inspector did not say where it listens:\n${stderr}`);
  }
  const last = stdout.trim().split("\n").at(-1) ?? "";
  return {
    bench: JSON.parse(last) as MayhemBenchLine,
    cpu: JSON.parse(readFileSync(cpuFile, "utf8")) as ThreadCpu,
    dashboard: dashboards[0]?.counts,
  };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const round1 = (x: number): number => Math.round(x * 10) / 10;

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** The inspector's code on the main thread, built or source: its folder and the history it keeps. */
const INSPECTOR_CODE = /loopscope\/(dist|src)\/(inspector\/|tasks\/history)/;

/** Samples with the inspector's code on the stack (inclusive) and at the top (self). */
function attribute(profiles: readonly Profile[]) {
  let samples = 0;
  let idle = 0;
  let inclusive = 0;
  let self = 0;
  let durationMs = 0;
  const byFunction = new Map<string, number>();
  for (const profile of profiles) {
    durationMs += (profile.endTime - profile.startTime) / 1000;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes)
      for (const child of node.children ?? []) parent.set(child, node.id);
    // The nearest inspector frame on each node's stack, itself included (memoised walk up).
    const inspectorFrame = new Map<number, ProfileNode | null>();
    const nearest = (id: number): ProfileNode | null => {
      const known = inspectorFrame.get(id);
      if (known !== undefined) return known;
      const node = byId.get(id)!;
      const up = parent.get(id);
      const found = INSPECTOR_CODE.test(node.callFrame.url)
        ? node
        : up === undefined
          ? null
          : nearest(up);
      inspectorFrame.set(id, found);
      return found;
    };
    for (const id of profile.samples) {
      samples++;
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName === "(idle)") idle++;
      const inspector = nearest(id);
      if (inspector === null) continue;
      inclusive++;
      if (inspector.id === id) self++;
      const where = inspector.callFrame.url.slice(inspector.callFrame.url.indexOf("loopscope/"));
      const key = `${inspector.callFrame.functionName || "(anonymous)"} ${where}:${inspector.callFrame.lineNumber + 1}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + 1);
    }
  }
  const msPerSample = durationMs / samples;
  return {
    profiles: profiles.length,
    samples,
    idleSamples: idle,
    inspectorSamplesInclusive: inclusive,
    inspectorSamplesSelf: self,
    inspectorMsInclusive: round1(inclusive * msPerSample),
    inspectorPercentOfAll: round3((inclusive / samples) * 100),
    inspectorPercentOfBusy: round3((inclusive / (samples - idle)) * 100),
    inspectorSelfPercentOfBusy: round3((self / (samples - idle)) * 100),
    top: Object.fromEntries([...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 8)),
  };
}

function summary(runs: readonly number[], unit: string) {
  const m = median(runs);
  return {
    unit,
    median: Math.round(m),
    spread: [round3(Math.min(...runs) / m), round3(Math.max(...runs) / m)],
    runs: runs.map(Math.round),
  };
}

try {
  const runs: Record<Variant, Run[]> = { off: [], on: [] };
  for (let r = 0; r < rounds; r++) {
    for (const variant of rotated<Variant>(["off", "on"], r)) {
      const run = await runOnce(variant);
      runs[variant].push(run);
      process.stderr.write(
        `inspector-cost: round ${r + 1}/${rounds} ${variant} ${Math.round(run.bench.msgs_per_s)} msgs/s\n`,
      );
    }
  }
  const rate = (variant: Variant) => runs[variant].map((run) => run.bench.msgs_per_s);
  const perCpu = (variant: Variant) => runs[variant].map((run) => run.bench.msgs_per_cpu_s);
  const paired = (values: (variant: Variant) => number[]) => {
    const on = values("on");
    const off = values("off");
    return on.map((value, i) => value / off[i]!);
  };
  const pairedRatios = paired(rate);
  const cpuOf = (variant: Variant, pick: (cpu: ThreadCpu) => number) =>
    round1(median(runs[variant].map((run) => pick(run.cpu))));
  const threadCpu = (variant: Variant) => ({
    mainMs: cpuOf(variant, (cpu) => cpu.mainMs),
    processMs: cpuOf(variant, (cpu) => cpu.processMs),
    inspectorThreadMs: cpuOf(variant, (cpu) => cpu.workersMs["loopscope-inspector"] ?? 0),
    watchdogThreadMs: cpuOf(variant, (cpu) => cpu.workersMs["loopscope-watchdog"] ?? 0),
    otherThreadsMs: cpuOf(variant, (cpu) => cpu.otherThreadsMs),
    mainUsPerMessage: round3(
      median(runs[variant].map((run) => (run.cpu.mainMs * 1000) / messages)),
    ),
  });
  // The inspector thread's CPU over the main thread's, run by run: its share of the work.
  const inspectorOverMain = runs.on.map(
    (run) => (run.cpu.workersMs["loopscope-inspector"] ?? 0) / run.cpu.mainMs,
  );

  let attribution: ReturnType<typeof attribute> | undefined;
  if (profileRuns > 0) {
    const profileDir = join(dir, "profiles");
    for (let i = 0; i < profileRuns; i++) {
      await runOnce("on", ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]);
    }
    const profiles = readdirSync(profileDir)
      .filter((file) => file.endsWith(".cpuprofile"))
      .map((file) => JSON.parse(readFileSync(join(profileDir, file), "utf8")) as Profile);
    attribution = attribute(profiles);
  }

  const dashboards = runs.on.map((run) => run.dashboard!);
  const result = {
    bench: "loopscope inspector on Mayhem, one dashboard client",
    node: process.version,
    cores: availableParallelism(),
    rounds,
    command: `mayhem bench --messages ${messages}`,
    variants: {
      off: "--import loopscope/register (inspector off)",
      on: `--import loopscope/register, LOOPSCOPE_INSPECT=0, one client on /api/live subscribed ${JSON.stringify(DASHBOARD_SUBSCRIPTION.tasks)} polling /api/loop and /api/events every ${POLL_INTERVAL_MS / 1000} s`,
    },
    goal: { lostPercentMax: 3, lostPercentHoped: 1 },
    throughput: {
      off: summary(rate("off"), "msgs/s"),
      on: summary(rate("on"), "msgs/s"),
      ratio: round3(median(rate("on")) / median(rate("off"))),
      pairedRatio: round3(median(pairedRatios)),
      pairedRatios: pairedRatios.map(round3),
    },
    perCpu: {
      off: summary(perCpu("off"), "msgs per CPU-second (all threads)"),
      on: summary(perCpu("on"), "msgs per CPU-second (all threads)"),
      pairedRatio: round3(median(paired(perCpu))),
    },
    threadCpu: {
      note: "medians over the runs of each variant, whole process lifetime (start-up included)",
      off: threadCpu("off"),
      on: threadCpu("on"),
      inspectorThreadOverMainPercent: round3(median(inspectorOverMain) * 100),
    },
    attribution,
    client: {
      firstTasksMs: median(dashboards.map((d) => d.firstTasksMs ?? Number.NaN)),
      tasksAnswersPerRun: median(dashboards.map((d) => d.live.tasks ?? 0)),
      liveMessagesPerRun: median(
        dashboards.map((d) => Object.values(d.live).reduce((a, b) => a + b, 0)),
      ),
      liveBytesPerRun: median(dashboards.map((d) => d.liveBytes)),
      pollsPerRun: median(dashboards.map((d) => d.polls)),
      pollFailures: dashboards.reduce((sum, d) => sum + d.pollFailures, 0),
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
