/**
 * What loopscope's production mode costs Mayhem (issues 3 and 4): each workload in a
 * fresh process per run, with no preload, with `--import loopscope/register`
 * (watchdog + loop metrics exported to a local StatsD sink), and with blocked-at for
 * comparison. Runs alternate between variants, rotating the order each round; the
 * figures are medians, with every run listed and the spread of the baseline, and
 * ratios to the no-preload median of the same session. Prints one JSON object.
 *
 * Workloads:
 *   - mayhem: `mayhem bench --messages N` (msgs/s; handler tasks are always on in Mayhem,
 *     so the difference is the preload: watchdog, metrics, SIGUSR2 dump handler);
 *   - http: a plain node:http server under loopback load from autocannon (requests/s).
 * blocked-at keeps well under 1% of a promise-heavy workload's throughput, so its
 * Mayhem runs use fewer messages (`--blocked-at-messages`) and fewer rounds.
 *
 * Usage (after `npm run build` at the root):
 *   node --import tsx packages/mayhem/bench/loopscope-cost.ts [--rounds 7] [--messages 200000]
 *     [--seconds 2] [--blocked-at-messages 3000] [--blocked-at-rounds 3]
 */
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { median, positiveInteger, requireBuild, rotated, runMayhemBench } from "./common.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "7" },
    messages: { type: "string", default: "200000" },
    seconds: { type: "string", default: "2" },
    "blocked-at-messages": { type: "string", default: "3000" },
    "blocked-at-rounds": { type: "string", default: "3" },
  },
});
const rounds = positiveInteger("rounds", values.rounds);
const messages = positiveInteger("messages", values.messages);
const seconds = positiveInteger("seconds", values.seconds);
const blockedAtMessages = positiveInteger("blocked-at-messages", values["blocked-at-messages"]);
const blockedAtRounds = positiveInteger("blocked-at-rounds", values["blocked-at-rounds"]);

requireBuild();
const require = createRequire(import.meta.url);
const register = require.resolve("loopscope/register");
const blockedAtPath = require.resolve("blocked-at");
const dir = mkdtempSync(join(tmpdir(), "mayhem-loopscope-cost-"));

// A StatsD sink, so the exporter really sends.
const sink = createSocket("udp4");
await new Promise<void>((resolve) => sink.bind(0, "127.0.0.1", resolve));
let statsdPackets = 0;
sink.on("message", () => statsdPackets++);
const sinkPort = sink.address().port;

const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

type Variant = "none" | "production" | "blockedAt";
const variantArgs: Record<Variant, string[]> = {
  none: [],
  production: ["--import", pathToFileURL(register).href],
  blockedAt: [
    "--import",
    pathToFileURL(
      file(
        "blocked-at.mjs",
        `import { createRequire } from "node:module";
const blocked = createRequire(import.meta.url)(${JSON.stringify(blockedAtPath)});
blocked(() => {}, { threshold: 100 });
`,
      ),
    ).href,
  ],
};
const childEnv = {
  ...process.env,
  LOOPSCOPE_STATSD: `127.0.0.1:${sinkPort}`,
  LOOPSCOPE_METRICS_INTERVAL_MS: "1000",
};

const server = file(
  "server.mjs",
  `import { createServer } from "node:http";
// CPU time is counted from the first request, so start-up (loading a preload) is left out.
let cpuAtFirstRequest;
const server = createServer((request, response) => {
  cpuAtFirstRequest ??= process.cpuUsage();
  response.writeHead(200, { "content-type": "text/plain" });
  response.end("hello world\\n");
});
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
// On SIGTERM: report the CPU time (every thread) spent serving, for requests per CPU-second.
process.on("SIGTERM", () => {
  const cpu = process.cpuUsage(cpuAtFirstRequest);
  process.stdout.write(JSON.stringify({ cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + "\\n");
  server.close(() => process.exit(0));
});
`,
);

/** Messages per CPU-second of each Mayhem run, by variant: less sensitive to other load. */
const mayhemCpuRuns: Record<Variant, number[]> = { none: [], production: [], blockedAt: [] };

async function runMayhem(variant: Variant): Promise<number> {
  const count = variant === "blockedAt" ? blockedAtMessages : messages;
  const result = await runMayhemBench(variantArgs[variant], count, childEnv);
  mayhemCpuRuns[variant].push(result.msgs_per_cpu_s);
  return result.msgs_per_s;
}

/** Requests per CPU-second of the server process in each HTTP run, by variant: less sensitive to other load. */
const httpCpuRuns: Record<Variant, number[]> = { none: [], production: [], blockedAt: [] };

async function runHttp(variant: Variant): Promise<number> {
  const child = spawn(process.execPath, [...variantArgs[variant], server], {
    env: childEnv,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once("exit", (code) => reject(new Error(`server exited with ${String(code)}`)));
  });
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections: 20,
    duration: seconds,
  });
  let report = "";
  child.stdout.on("data", (chunk: Buffer) => (report += chunk.toString()));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
  const { cpuSeconds } = JSON.parse(report.trim()) as { cpuSeconds: number };
  httpCpuRuns[variant].push(result.requests.total / cpuSeconds);
  return result.requests.average;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

async function measure(run: (variant: Variant) => Promise<number>) {
  const variants: Variant[] = ["none", "production", "blockedAt"];
  const runs: Record<Variant, number[]> = { none: [], production: [], blockedAt: [] };
  for (let r = 0; r < rounds; r++) {
    for (const variant of rotated(variants, r)) {
      if (variant === "blockedAt" && r >= blockedAtRounds) continue;
      runs[variant].push(await run(variant));
    }
  }
  const base = median(runs.none);
  const summary = (variant: Variant) => {
    const m = median(runs[variant]);
    return {
      median: Math.round(m),
      ratio: round3(m / base),
      // Spread of this variant's own runs around its median: the noise floor.
      spread: [round3(Math.min(...runs[variant]) / m), round3(Math.max(...runs[variant]) / m)],
      runs: runs[variant].map(Math.round),
    };
  };
  return {
    none: summary("none"),
    production: summary("production"),
    blockedAt: summary("blockedAt"),
    // Ratio of medians of the runs paired within a round (same neighbours in time).
    productionPairedRatio: round3(median(runs.production.map((value, i) => value / runs.none[i]!))),
  };
}

function cpuSummary(unit: string, runs: Record<Variant, number[]>) {
  const none = median(runs.none);
  const production = median(runs.production);
  return {
    unit,
    none: Math.round(none),
    production: Math.round(production),
    ratio: round3(production / none),
    pairedRatio: round3(median(runs.production.map((value, i) => value / runs.none[i]!))),
    spread: [round3(Math.min(...runs.none) / none), round3(Math.max(...runs.none) / none)],
  };
}

try {
  const mayhem = await measure(runMayhem);
  const http = await measure(runHttp);
  const result = {
    bench: "loopscope production mode on Mayhem and node:http",
    node: process.version,
    cores: availableParallelism(),
    rounds,
    variants: {
      none: "no preload",
      production:
        "--import loopscope/register: watchdog (100 ms) + metrics (1 s interval) to a local StatsD sink",
      blockedAt: `blocked-at, threshold 100 ms (${blockedAtRounds} rounds)`,
    },
    mayhem: {
      unit: "msgs/s",
      command: `mayhem bench --messages ${messages}`,
      blockedAtMessages,
      ...mayhem,
    },
    mayhemCpu: cpuSummary("msgs per CPU-second (all threads of the process)", mayhemCpuRuns),
    httpCpu: cpuSummary("requests per CPU-second of the server process (all threads)", httpCpuRuns),
    http: {
      unit: "requests/s",
      load: `autocannon, 20 connections, ${seconds} s`,
      ...http,
    },
    statsdPacketsReceived: statsdPackets,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  sink.close();
  rmSync(dir, { recursive: true, force: true });
}
