/**
 * What production mode costs: the watchdog and the loop metrics (with StatsD and the
 * Prometheus server on) against no preload, and blocked-at on the same workloads for
 * comparison. Two workloads, each in a fresh process per run:
 *   - pipeline: a promise-heavy pipeline (22 promises per message), messages per second;
 *   - http: a plain node:http server under loopback load from autocannon, requests per second.
 * Runs alternate between the variants (rotating the order each round); the figures are
 * medians and ratios to the bare run of the same session. Prints one JSON object.
 *
 * `preload` is the real preload (`--import loopscope/register`, production mode, nothing
 * configured): what a user who only adds the preload pays, the inspector never opened.
 * With `--before DIR` (another built checkout), that build's preload runs too, as
 * `preloadBefore`, in the same rounds: the cost of a change, before and after.
 *
 * Usage: node --import tsx bench/production.ts [--rounds N] [--seconds S] [--before DIR]
 * Needs the built package (`npm run build` at the repository root).
 */
import { execFile, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { beforeRegisterArgument, environmentWithoutLoopscope } from "./common.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "2" },
    // Read by beforeRegisterArgument.
    before: { type: "string" },
  },
});
const before = beforeRegisterArgument();
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
if (!existsSync(join(dist, "watchdog/index.js"))) {
  throw new Error(
    `bench/production.ts runs the built package: run \`npm run build\` first (${dist} is missing)`,
  );
}
const blockedAtPath = createRequire(import.meta.url).resolve("blocked-at");
const dir = mkdtempSync(join(tmpdir(), "loopscope-bench-"));

// A StatsD sink, so the exporter really sends.
const sink = createSocket("udp4");
await new Promise<void>((resolve) => sink.bind(0, "127.0.0.1", resolve));
sink.on("message", () => undefined);
const sinkPort = sink.address().port;

const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const preloads: Record<string, string | undefined> = {
  none: undefined,
  production: file(
    "production.mjs",
    `import { startWatchdog } from ${JSON.stringify(pathToFileURL(join(dist, "watchdog/index.js")).href)};
import { startMetrics } from ${JSON.stringify(pathToFileURL(join(dist, "metrics/index.js")).href)};
startWatchdog({ slowMs: 100 });
startMetrics({ metricsIntervalMs: 1000, statsd: { host: "127.0.0.1", port: ${sinkPort} }, prometheus: { host: "127.0.0.1", port: 0 } });
`,
  ),
  blockedAt: file(
    "blocked-at.mjs",
    `import { createRequire } from "node:module";
const blocked = createRequire(import.meta.url)(${JSON.stringify(blockedAtPath)});
blocked(() => {}, { threshold: 100 });
`,
  ),
  preload: join(dist, "register.js"),
  ...(before === undefined ? {} : { preloadBefore: before }),
};

const pipeline = file(
  "pipeline.mjs",
  `// 22 promises per message: 10 awaited async stages (2 each) + the handler's own 2.
async function stage(value) { await null; return value + 1; }
async function handle(message) { let value = message; for (let i = 0; i < 10; i++) value = await stage(value); return value; }
const durationMs = ${seconds * 1000};
const start = performance.now();
const end = start + durationMs;
let done = 0;
async function consumer() {
  while (performance.now() < end) {
    await handle(done);
    // Let the loop turn now and then, as a service's I/O would.
    if (++done % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}
await Promise.all(Array.from({ length: 64 }, consumer));
process.stdout.write(JSON.stringify({ perSecond: done / ((performance.now() - start) / 1000) }) + "\\n");
`,
);

const server = file(
  "server.mjs",
  `import { createServer } from "node:http";
const server = createServer((request, response) => { response.writeHead(200, { "content-type": "text/plain" }); response.end("hello world\\n"); });
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`,
);

// The preload reads LOOPSCOPE_* from the environment: none of the caller's.
const childEnv = environmentWithoutLoopscope();

const nodeArgs = (variant: string): string[] => {
  const preload = preloads[variant];
  return preload === undefined ? [] : ["--import", pathToFileURL(preload).href];
};

function runPipeline(variant: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...nodeArgs(variant), pipeline],
      { env: childEnv },
      (error, stdout) => {
        if (error !== null) reject(new Error(`pipeline (${variant}) failed`, { cause: error }));
        else resolve((JSON.parse(stdout) as { perSecond: number }).perSecond);
      },
    );
  });
}

async function runHttp(variant: string): Promise<number> {
  const child = spawn(process.execPath, [...nodeArgs(variant), server], {
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
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
  return result.requests.average;
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const variants = Object.keys(preloads);
async function measure(run: (variant: string) => Promise<number>) {
  const runs: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    // Rotate the order so no variant always runs first (or right after the same neighbour).
    const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
    for (const variant of order) runs[variant]!.push(await run(variant));
  }
  const base = median(runs.none!);
  return Object.fromEntries(
    variants.map((variant) => {
      const m = median(runs[variant]!);
      return [
        variant,
        {
          median: Math.round(m),
          ratio: Math.round((m / base) * 1000) / 1000,
          runs: runs[variant]!.map(Math.round),
        },
      ];
    }),
  );
}

try {
  const result = {
    bench: "loopscope production mode overhead",
    node: process.version,
    cores: availableParallelism(),
    rounds,
    secondsPerRun: seconds,
    variants: {
      none: "no preload",
      production: "watchdog (slowMs 100) + metrics (1 s interval, StatsD + Prometheus server)",
      blockedAt: "blocked-at, threshold 100 ms",
      preload: "the preload, nothing configured (production mode; the inspector never opened)",
      ...(before === undefined ? {} : { preloadBefore: `the preload of ${before}` }),
    },
    pipeline: { unit: "messages/s", ...(await measure(runPipeline)) },
    http: { unit: "requests/s", ...(await measure(runHttp)) },
  };
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
} finally {
  sink.close();
  rmSync(dir, { recursive: true, force: true });
}
