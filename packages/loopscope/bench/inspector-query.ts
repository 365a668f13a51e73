/**
 * The inspector's task query over many pending tasks: what answering `GET /api/tasks` costs
 * the main thread, and what goes on the wire. Goals (not asserted): under 50 ms at 10,000
 * pending tasks, under 300 ms at 100,000.
 *
 * In this process: N pending tasks (`spawn`; half of them `handle m<i>` each with a child
 * `save m<i>`, spawned over time as traffic is, so creation-stack sampling behaves as in
 * production), then the inspector (`startInspector({ port: 0 })`), then for each query:
 * - `answerMs`: the main thread's time to answer it: `answer()` of `src/inspector/answers.ts`,
 *   the function the main thread runs when the server thread asks (timed here, called
 *   directly; the query is computed and turned into JSON text there, and only that text
 *   goes back to the server thread). The median of `--repeats` after a first answer, which
 *   also resolves the creation stacks (reported as `firstAnswerMs`);
 * - `wireBytes`, `requestMs`: a real `GET /api/tasks?…` through the inspector's server (from
 *   this process, Bearer token), the body's bytes and the request's time end to end;
 * - the baseline measured in the same run: `snapshotTasks()` alone (`snapshotMs`), which is
 *   what a SIGUSR2 dump costs before it is rendered, and `ratioToSnapshot`: what the query
 *   costs against it.
 * Production mode at 10,000 and 100,000 tasks, then debug mode at the same counts.
 *
 * Run: node --import tsx bench/inspector-query.ts [--repeats 5] [--no-debug]
 * Prints one JSON object.
 */
import { get } from "node:http";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { answer } from "../src/inspector/answers.js";
import { startInspector } from "../src/inspector/index.js";
import type { TaskQuery } from "../src/protocol/index.js";
import { setDebugTracking, snapshotTasks, spawn } from "../src/tasks/index.js";
import { median, positiveIntegerArgument } from "./common.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const repeats = positiveIntegerArgument("repeats", 5);
const withDebug = !process.argv.includes("--no-debug");
const COUNTS = [10_000, 100_000];
const GOAL_MS: Record<number, number> = { 10_000: 50, 100_000: 300 };

const QUERIES: Record<string, TaskQuery> = {
  "limit=200": { limit: 200 },
  "limit=200&group=site": { limit: 200, group: "site" },
  "limit=200&group=subtree": { limit: 200, group: "subtree" },
  "limit=200&sort=name": { limit: 200, sort: "name" },
  "limit=200&name=save": { limit: 200, name: "save" },
};

const round1 = (v: number): number => Math.round(v * 10) / 10;
const round3 = (v: number): number => Math.round(v * 1000) / 1000;

function timed<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

/** Median main-thread time of `fn` over `repeats` calls, after a first one (reported apart). */
function measure(fn: () => unknown): { firstMs: number; medianMs: number } {
  gc();
  const firstMs = timed(fn).ms;
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    gc();
    times.push(timed(fn).ms);
  }
  return { firstMs: round1(firstMs), medianMs: round1(median(times)) };
}

// The inspector never keeps a process alive: this does, until the end.
const keepAlive = setInterval(() => undefined, 1_000);
const inspector = startInspector({ port: 0 });
const { url, token } = await inspector.ready;

/**
 * `GET /api/tasks?<query>` on a new connection each time (no keep-alive: the server ends an
 * idle one after 5 s, and a reused one could be closed under the request).
 */
function request(query: string): Promise<{ bytes: number; ms: number; body: unknown }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = get(
      new URL(`api/tasks?${query}`, url),
      { agent: false, headers: { Authorization: `Bearer ${token}` } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const bytes = Buffer.concat(chunks);
          const ms = performance.now() - start;
          if (response.statusCode !== 200) {
            reject(new Error(`${query}: ${response.statusCode} ${bytes.toString()}`));
            return;
          }
          resolve({ bytes: bytes.length, ms, body: JSON.parse(bytes.toString("utf8")) });
        });
      },
    );
    outgoing.on("error", reject);
  });
}

async function at(count: number, mode: "production" | "debug") {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  async function waitForGate(): Promise<void> {
    await gate;
  }
  const tasks = [];
  for (let i = 0; i < count / 2; i++) {
    tasks.push(
      spawn(`handle m${i}`, async (task) => {
        await spawn(`save m${i}`, waitForGate, { parent: task }).promise;
      }),
    );
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  const snapshot = measure(() => snapshotTasks());
  const queries: Record<string, unknown> = {};
  for (const [text, query] of Object.entries(QUERIES)) {
    const answered = measure(() => answer({ kind: "tasks", query }));
    const http = await request(text);
    const body = http.body as {
      total: number;
      matched: number;
      tasks: unknown[];
      groups?: unknown[];
    };
    queries[text] = {
      answerMs: answered.medianMs,
      firstAnswerMs: answered.firstMs,
      ratioToSnapshot: round3(answered.medianMs / snapshot.medianMs),
      wireBytes: http.bytes,
      requestMs: round1(http.ms),
      total: body.total,
      matched: body.matched,
      tasksSent: body.tasks.length,
      groupsSent: body.groups?.length,
      goalMs: GOAL_MS[count],
    };
  }
  release();
  await Promise.all(tasks.map((t) => t.promise));
  return {
    mode,
    tasks: count,
    snapshotMs: snapshot.medianMs,
    firstSnapshotMs: snapshot.firstMs,
    queries,
  };
}

const results = [];
try {
  for (const count of COUNTS) results.push(await at(count, "production"));
  if (withDebug) {
    setDebugTracking(true);
    for (const count of COUNTS) results.push(await at(count, "debug"));
    setDebugTracking(false);
  }
} finally {
  await inspector.stop();
  clearInterval(keepAlive);
}

console.log(
  JSON.stringify({
    bench: "loopscope inspector task query",
    node: process.version,
    repeats,
    note: "answerMs: main-thread time of answer() (median after a first call); snapshotMs: snapshotTasks() alone, the baseline; wireBytes: GET /api/tasks body",
    goalsMs: GOAL_MS,
    results,
  }),
);
