/**
 * What the native-call watch (`src/watchdog/native-calls.ts`) costs: its wrappers read one
 * shared `Int32Array` element before and after each wrapped call. Variants, each in a
 * fresh process per run, alternated (the order rotates each round), medians:
 * - `off`: nothing wrapped;
 * - `sync`: the `*Sync` calls and `Atomics.wait` wrapped, JSON not (`json: false`);
 * - `all`: `JSON.parse` and `JSON.stringify` wrapped too (the default).
 *
 * Workloads:
 * - `micro`: ns per call of `JSON.parse('{"a":1}')` and `JSON.stringify({ a: 1 })` in a
 *   tight loop, `off` against `all` across processes; and, in one process (`paired`),
 *   the original against the wrapper through two holders of the same shape, in
 *   alternating blocks, the median of the paired differences: the finer figure;
 * - `pipeline`: items through a promise chain that stringifies and parses each one; and,
 *   in one process (`paired`), the same pipeline through the original and through the
 *   wrapper in alternating 100 ms windows (ABBA), the medians of the paired ratios: the
 *   background load of a shared machine hits both alike;
 * - `http`: a node:http server that parses each request's JSON body and stringifies its
 *   answer, under a keep-alive loopback client in another process (16 in flight); and, in
 *   one process (`paired`), two such servers, through the originals and through the
 *   wrappers, the client sending to each in alternating 150 ms windows (ABBA).
 * For the last two: throughput, and whole-process CPU time per item (`process.cpuUsage`);
 * in one more `all` run under V8's sampling profiler (100 µs, after warm-up), the share of
 * the non-idle samples in the wrappers' frames. V8 counts a built-in's samples in the
 * JavaScript frame that called it, and an inlined wrapper's own instructions in the
 * function it was inlined into: that share is the JSON calls' own time, an upper bound
 * that cannot isolate the wrapper. `estimatedShare` bounds the cost from the paired micro
 * figure: the added ns per JSON call times the JSON calls per item, over the CPU per item.
 *
 * Run: `node --import tsx bench/native-calls.ts [--rounds N] [--seconds S]` (children run
 * the source through tsx too, every variant alike). Prints one JSON object.
 */
import type { ChildProcess } from "node:child_process";
import { execFile, spawn } from "node:child_process";
import type { Server } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { median } from "./common.js";

const thisFile = fileURLToPath(import.meta.url);

type Variant = "off" | "sync" | "all" | "paired";
type Workload = "micro" | "pipeline" | "http";

interface ChildResult {
  /** micro: ns per call; `paired`: also the originals' through a holder. */
  parseNs?: number;
  stringifyNs?: number;
  plainParseNs?: number;
  plainStringifyNs?: number;
  /** `paired`: the medians of the paired differences, wrapper − original. */
  addedParseNs?: number;
  addedStringifyNs?: number;
  /** The middle half (4th to 9th of 12) of the paired differences. */
  addedParseSpread?: readonly [number, number];
  addedStringifySpread?: readonly [number, number];
  /** pipeline, http: items per second and CPU µs per item, over the measured window. */
  perSecond?: number;
  cpuUsPerItem?: number;
  /** `paired` pipeline: medians of the windows' ratios, wrapper over original. */
  pairedWindows?: { pairs: number; throughputRatio: number; cpuRatio: number };
  /** With `profile`: the share of the non-idle samples in the wrappers' frames. */
  profile?: { samples: number; wrapperFrames: number };
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "3" },
      seconds: { type: "string", default: "1" },
    },
  });
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  if (!Number.isInteger(rounds) || rounds <= 0) {
    throw new TypeError(`--rounds must be a positive integer, received ${values.rounds}`);
  }
  if (!(seconds > 0)) {
    throw new TypeError(`--seconds must be a positive number, received ${values.seconds}`);
  }

  const started = performance.now();
  const micro = await alternate("micro", ["off", "all"], rounds, seconds * 0.4);
  const paired = await runOne("micro", "paired", seconds, false);
  const pipeline = await alternate("pipeline", ["off", "sync", "all"], rounds, seconds);
  const http = await alternate("http", ["off", "sync", "all"], rounds, seconds);
  const pipelineWindows = (await runOne("pipeline", "paired", seconds, false)).pairedWindows;
  const pipelineProfile = (await runOne("pipeline", "all", seconds, true)).profile;
  const httpWindows = (await runOne("http", "paired", seconds, false)).pairedWindows;
  const httpProfile = (await runOne("http", "all", seconds, true)).profile;

  const med = (runs: readonly ChildResult[], key: keyof ChildResult): number =>
    median(runs.map((run) => run[key] as number));
  // Not clamped: a difference below zero is noise, and says how large the noise is.
  const addedNsPerJsonCall = (paired.addedParseNs! + paired.addedStringifyNs!) / 2;

  const summarise = (
    runs: Record<string, ChildResult[]>,
    jsonCallsPerItem: number,
    profile: ChildResult["profile"],
  ): object => {
    const off = runs.off!;
    const base = { perSecond: med(off, "perSecond"), cpu: med(off, "cpuUsPerItem") };
    const variants = Object.fromEntries(
      Object.entries(runs).map(([variant, list]) => {
        const perSecond = med(list, "perSecond");
        const cpu = med(list, "cpuUsPerItem");
        return [
          variant,
          {
            perSecond: Math.round(perSecond),
            cpuUsPerItem: round(cpu, 2),
            throughputRatio: round(perSecond / base.perSecond),
            cpuRatio: round(cpu / base.cpu),
            // The same round's runs ran side by side: the medians of their ratios.
            pairedThroughputRatio: round(
              median(list.map((run, i) => run.perSecond! / off[i]!.perSecond!)),
            ),
            pairedCpuRatio: round(
              median(list.map((run, i) => run.cpuUsPerItem! / off[i]!.cpuUsPerItem!)),
            ),
            runs: list.map((run) => Math.round(run.perSecond!)),
          },
        ];
      }),
    );
    return {
      jsonCallsPerItem,
      ...variants,
      estimatedShare: round((addedNsPerJsonCall * jsonCallsPerItem) / (base.cpu * 1000), 5),
      profile,
    };
  };

  const parseOff = med(micro.off!, "parseNs");
  const parseAll = med(micro.all!, "parseNs");
  const stringifyOff = med(micro.off!, "stringifyNs");
  const stringifyAll = med(micro.all!, "stringifyNs");
  const result = {
    bench: "native-call watch overhead",
    node: process.version,
    cores: availableParallelism(),
    rounds,
    secondsPerRun: seconds,
    variants: {
      off: "nothing wrapped",
      sync: "fs/child_process/zlib/crypto *Sync and Atomics.wait wrapped (json: false)",
      all: "and JSON.parse, JSON.stringify (the default)",
    },
    micro: {
      unit: "ns per call, tight loop",
      acrossProcesses: {
        parse: {
          off: round(parseOff, 1),
          all: round(parseAll, 1),
          ratio: round(parseAll / parseOff),
        },
        stringify: {
          off: round(stringifyOff, 1),
          all: round(stringifyAll, 1),
          ratio: round(stringifyAll / stringifyOff),
        },
      },
      inOneProcess: {
        parse: {
          original: round(paired.plainParseNs!, 1),
          wrapped: round(paired.parseNs!, 1),
          added: round(paired.addedParseNs!, 1),
          spread: paired.addedParseSpread!.map((ns) => round(ns, 1)),
        },
        stringify: {
          original: round(paired.plainStringifyNs!, 1),
          wrapped: round(paired.stringifyNs!, 1),
          added: round(paired.addedStringifyNs!, 1),
          spread: paired.addedStringifySpread!.map((ns) => round(ns, 1)),
        },
      },
      addedNsPerJsonCall: round(addedNsPerJsonCall, 1),
    },
    pipeline: {
      unit: "items/s",
      ...summarise(pipeline, 2, pipelineProfile),
      inOneProcess: pipelineWindows,
    },
    http: {
      unit: "requests/s",
      ...summarise(http, 2, httpProfile),
      inOneProcess: httpWindows,
    },
    wallSeconds: round((performance.now() - started) / 1000, 1),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

async function alternate(
  workload: Workload,
  variants: readonly Variant[],
  rounds: number,
  seconds: number,
): Promise<Record<string, ChildResult[]>> {
  const runs: Record<string, ChildResult[]> = Object.fromEntries(variants.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(i + r) % variants.length]!;
      runs[variant]!.push(await runOne(workload, variant, seconds, false));
    }
  }
  return runs;
}

function runOne(
  workload: Workload,
  variant: Variant,
  seconds: number,
  profile: boolean,
): Promise<ChildResult> {
  const args = ["--import", "tsx", thisFile, "--child", workload, variant, String(seconds)];
  if (profile) args.push("profile");
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`${workload} (${variant}) failed: ${stderr}`, { cause: error }));
        return;
      }
      resolve(JSON.parse(stdout.trim().split("\n").pop()!) as ChildResult);
    });
  });
}

// ---- child side ----

async function runChild(
  workload: Workload,
  variant: Variant,
  seconds: number,
  profile: boolean,
): Promise<ChildResult> {
  // Captured before anything is wrapped.
  const plain = { parse: JSON.parse, stringify: JSON.stringify };
  if (variant !== "off") {
    const { NativeCallWatch } = await import("../src/watchdog/native-calls.js");
    const { createControlArray } = await import("../src/watchdog/thread-protocol.js");
    new NativeCallWatch(createControlArray(), () => 0n, { json: variant !== "sync" }).install();
  }
  if (workload === "micro")
    return variant === "paired" ? pairedMicro(plain, seconds) : micro(seconds);
  if (variant === "paired") {
    const paired = workload === "pipeline" ? pairedPipeline : pairedHttp;
    return { pairedWindows: await paired(plain, seconds) };
  }
  const run = workload === "pipeline" ? pipeline : http;
  await run(0.3); // warm-up: the JIT settles
  const profiler = profile ? await startProfiler() : undefined;
  const result = await run(seconds);
  if (profiler !== undefined) result.profile = await profiler();
  return result;
}

/** Calls of `loop(n)` taking about `ms`, measured on a first block (which warms it up). */
function calibrate(loop: (n: number) => void, ms: number): number {
  const n = 20_000;
  const t0 = process.hrtime.bigint();
  loop(n);
  const perCall = Number(process.hrtime.bigint() - t0) / n;
  return Math.max(10_000, Math.round((ms * 1e6) / perCall));
}

function nsPerCall(loop: (n: number) => void, n: number): number {
  const t0 = process.hrtime.bigint();
  loop(n);
  return Number(process.hrtime.bigint() - t0) / n;
}

let sink = 0;

/** ns per call through the global `JSON`, the median of 5 blocks, after a warm-up. */
function micro(seconds: number): ChildResult {
  const object = { a: 1 };
  const parseLoop = (n: number): void => {
    for (let i = 0; i < n; i++) sink += (JSON.parse('{"a":1}') as { a: number }).a;
  };
  const stringifyLoop = (n: number): void => {
    for (let i = 0; i < n; i++) sink += JSON.stringify(object).length;
  };
  const blocks = (loop: (n: number) => void): number => {
    const n = calibrate(loop, (seconds * 1000) / 12);
    return median(Array.from({ length: 5 }, () => nsPerCall(loop, n)));
  };
  return { parseNs: blocks(parseLoop), stringifyNs: blocks(stringifyLoop) };
}

interface JsonPair {
  parse(this: void, text: string): unknown;
  stringify(this: void, value: unknown): string;
}

/**
 * The original and the wrapper side by side in one process: two holders of the same
 * shape, one loop per holder (written twice: one loop for both would share its call
 * feedback between them), 12 alternating blocks, the median of the paired differences.
 */
function pairedMicro(plain: JsonPair, seconds: number): ChildResult {
  const wrapped: JsonPair = { parse: JSON.parse, stringify: JSON.stringify };
  const object = { a: 1 };
  const plainParse = (n: number): void => {
    for (let i = 0; i < n; i++) sink += (plain.parse('{"a":1}') as { a: number }).a;
  };
  const wrappedParse = (n: number): void => {
    for (let i = 0; i < n; i++) sink += (wrapped.parse('{"a":1}') as { a: number }).a;
  };
  const plainStringify = (n: number): void => {
    for (let i = 0; i < n; i++) sink += plain.stringify(object).length;
  };
  const wrappedStringify = (n: number): void => {
    for (let i = 0; i < n; i++) sink += wrapped.stringify(object).length;
  };
  const compare = (a: (n: number) => void, b: (n: number) => void) => {
    const blockMs = (seconds * 1000) / 24;
    const n = Math.min(calibrate(a, blockMs), calibrate(b, blockMs));
    const as: number[] = [];
    const bs: number[] = [];
    for (let block = 0; block < 12; block++) {
      if (block % 2 === 0) {
        as.push(nsPerCall(a, n));
        bs.push(nsPerCall(b, n));
      } else {
        bs.push(nsPerCall(b, n));
        as.push(nsPerCall(a, n));
      }
    }
    const added = bs.map((ns, i) => ns - as[i]!).sort((x, y) => x - y);
    return {
      a: median(as),
      b: median(bs),
      added: median(added),
      // The middle half of the paired differences: how far apart two runs of one code land.
      spread: [added[3]!, added[8]!] as const,
    };
  };
  const parse = compare(plainParse, wrappedParse);
  const stringify = compare(plainStringify, wrappedStringify);
  return {
    plainParseNs: parse.a,
    parseNs: parse.b,
    addedParseNs: parse.added,
    addedParseSpread: parse.spread,
    plainStringifyNs: stringify.a,
    stringifyNs: stringify.b,
    addedStringifyNs: stringify.added,
    addedStringifySpread: stringify.spread,
  };
}

const item = (x: number): object => ({
  id: x,
  name: `name${x}`,
  tags: ["a", "b", "c"],
  nested: { v: x / 3, ok: true },
});

/** Items per second through a promise chain that stringifies and parses each one. */
async function pipeline(seconds: number): Promise<ChildResult> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let done = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) {
      await Promise.resolve(i)
        .then((x) => JSON.stringify(item(x)))
        .then((text) => JSON.parse(text) as { id: number })
        .then((parsed) => {
          if (parsed.id !== i) throw new Error("pipeline: wrong item");
        });
    }
    done += 1000;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (performance.now() - t0) / 1000;
  return { perSecond: done / elapsed, cpuUsPerItem: (cpu.user + cpu.system) / done };
}

/**
 * The pipeline through `plain` (the originals) and through `wrapped` in alternating
 * windows, ABBA, after a warm-up of both; written twice, one copy per holder, so that
 * each keeps its own call feedback.
 */
async function pairedPipeline(
  plain: JsonPair,
  seconds: number,
): Promise<ChildResult["pairedWindows"]> {
  const wrapped: JsonPair = { parse: JSON.parse, stringify: JSON.stringify };
  const windowMs = 100;
  const throughPlain = async (end: number): Promise<number> => {
    let done = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 200; i++) {
        await Promise.resolve(i)
          .then((x) => plain.stringify(item(x)))
          .then((text) => plain.parse(text) as { id: number })
          .then((parsed) => {
            if (parsed.id !== i) throw new Error("pipeline: wrong item");
          });
      }
      done += 200;
    }
    return done;
  };
  const throughWrapped = async (end: number): Promise<number> => {
    let done = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 200; i++) {
        await Promise.resolve(i)
          .then((x) => wrapped.stringify(item(x)))
          .then((text) => wrapped.parse(text) as { id: number })
          .then((parsed) => {
            if (parsed.id !== i) throw new Error("pipeline: wrong item");
          });
      }
      done += 200;
    }
    return done;
  };
  const window = async (run: (end: number) => Promise<number>) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const done = await run(t0 + windowMs);
    const cpu = process.cpuUsage(cpu0);
    return { perMs: done / (performance.now() - t0), cpuPerItem: (cpu.user + cpu.system) / done };
  };
  await throughPlain(performance.now() + 300);
  await throughWrapped(performance.now() + 300);
  const pairs = Math.max(8, Math.round((seconds * 2000) / (2 * windowMs)));
  const throughput: number[] = [];
  const cpu: number[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    let a;
    let b;
    if (pair % 2 === 0) {
      a = await window(throughPlain);
      b = await window(throughWrapped);
    } else {
      b = await window(throughWrapped);
      a = await window(throughPlain);
    }
    throughput.push(b.perMs / a.perMs);
    cpu.push(b.cpuPerItem / a.cpuPerItem);
  }
  return { pairs, throughputRatio: round(median(throughput)), cpuRatio: round(median(cpu)) };
}

/** The client, in its own process: keep-alive POSTs, 16 in flight, until killed. */
const CLIENT = `
const http = require("node:http");
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const body = JSON.stringify({ user: "u1", items: [1, 2, 3], note: "hello" });
let n = 0;
let port = Number(process.env.PORT);
// Told another port (the paired run), it sends the next requests there.
process.on("message", (next) => { port = next; });
const one = () => {
  const req = http.request({ port, method: "POST", path: "/echo?n=" + n++, agent,
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
    res.resume(); res.on("end", one);
  });
  req.on("error", () => setTimeout(one, 10));
  req.end(body);
};
for (let i = 0; i < 16; i++) one();
`;

/** Listening on a free loopback port. */
async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** The load client, sending to `port` until killed (or told another port). */
function startClient(port: number): ChildProcess {
  return spawn(process.execPath, ["-e", CLIENT], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "ignore", "ignore", "ipc"],
  });
}

/** Requests per second of a JSON echo service, and the server process's CPU per request. */
async function http(seconds: number): Promise<ChildResult> {
  let served = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { items: number[] };
      const answer = JSON.stringify({ url: req.url, items: body.items.map(item) });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(answer);
      served++;
    });
  });
  const client = startClient(await listen(server));
  await new Promise((resolve) => setTimeout(resolve, 150)); // connections up
  const served0 = served;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (performance.now() - t0) / 1000;
  const count = served - served0;
  client.kill();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  return { perSecond: count / elapsed, cpuUsPerItem: (cpu.user + cpu.system) / count };
}

/**
 * Two servers in one process, one answering through the originals and one through the
 * wrappers (each handler written out, for its own call feedback); the client sends to one
 * then the other, in alternating windows (ABBA), and each window's requests and CPU are
 * counted: the medians of the paired ratios.
 */
async function pairedHttp(plain: JsonPair, seconds: number): Promise<ChildResult["pairedWindows"]> {
  const wrapped: JsonPair = { parse: JSON.parse, stringify: JSON.stringify };
  const windowMs = 150;
  const counts = { plain: 0, wrapped: 0 };
  const plainServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = plain.parse(Buffer.concat(chunks).toString("utf8")) as { items: number[] };
      const answer = plain.stringify({ url: req.url, items: body.items.map(item) });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(answer);
      counts.plain++;
    });
  });
  const wrappedServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = wrapped.parse(Buffer.concat(chunks).toString("utf8")) as { items: number[] };
      const answer = wrapped.stringify({ url: req.url, items: body.items.map(item) });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(answer);
      counts.wrapped++;
    });
  });
  const ports = { plain: await listen(plainServer), wrapped: await listen(wrappedServer) };
  const client = startClient(ports.plain);
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const window = async (side: "plain" | "wrapped") => {
    client.send(ports[side]);
    await sleep(20); // the other side's requests in flight come back
    const count0 = counts[side];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(windowMs);
    const cpu = process.cpuUsage(cpu0);
    const count = counts[side] - count0;
    return { perMs: count / (performance.now() - t0), cpuPerItem: (cpu.user + cpu.system) / count };
  };
  // Warm-up: both handlers optimised.
  await window("plain");
  await window("wrapped");
  await window("plain");
  await window("wrapped");
  const pairs = Math.max(12, Math.round((seconds * 4000) / (2 * (windowMs + 20))));
  const throughput: number[] = [];
  const cpu: number[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    let a;
    let b;
    if (pair % 2 === 0) {
      a = await window("plain");
      b = await window("wrapped");
    } else {
      b = await window("wrapped");
      a = await window("plain");
    }
    throughput.push(b.perMs / a.perMs);
    cpu.push(b.cpuPerItem / a.cpuPerItem);
  }
  client.kill();
  for (const server of [plainServer, wrappedServer]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  return { pairs, throughputRatio: round(median(throughput)), cpuRatio: round(median(cpu)) };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

/** Start V8's sampling profiler; the function returned stops it and attributes the samples. */
async function startProfiler(): Promise<() => Promise<ChildResult["profile"]>> {
  const { Session } = await import("node:inspector");
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) =>
      session.post(method, params, (error, answer) =>
        error === null ? resolve(answer) : reject(error),
      ),
    );
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
  await post("Profiler.start");
  return async () => {
    const { profile } = (await post("Profiler.stop")) as {
      profile: { nodes: ProfileNode[]; samples: number[] };
    };
    session.disconnect();
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    let busy = 0;
    let wrapper = 0;
    for (const id of profile.samples) {
      const frame = byId.get(id)?.callFrame;
      // (program) (V8's and Node's native code) and the collector are busy too.
      if (frame === undefined || frame.functionName === "(idle)") continue;
      busy++;
      if (frame.url.includes("watchdog/native-calls")) wrapper++;
    }
    return { samples: busy, wrapperFrames: round(wrapper / busy, 5) };
  };
}

// Last: everything above is declared by now.
const childIndex = process.argv.indexOf("--child");
if (childIndex !== -1) {
  const [workload, variant, seconds, profile] = process.argv.slice(childIndex + 1);
  const result = await runChild(
    workload as Workload,
    variant as Variant,
    Number(seconds),
    profile === "profile",
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
  void sink; // what the loops computed: kept, so that they are not optimised away
  process.exit(0);
} else {
  await main();
}
