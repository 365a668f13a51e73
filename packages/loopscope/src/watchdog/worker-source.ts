/**
 * The watchdog thread's program, as source text for `new Worker(source, { eval: true })`.
 *
 * Why a string and not a file: the worker must run the same way from `dist/` and from
 * `src/` under a TypeScript loader, must not import anything of loopscope (workers inherit
 * `--import`, and the preload must not run again in here), and must stay tiny. It is
 * plain CommonJS that only needs `node:worker_threads` and `node:inspector`.
 *
 * What it does: sleeps until the main thread's heartbeat would be `slowMs` old; if no newer
 * beat arrived by then, the loop is blocked, and it asks the main thread, through an
 * inspector session, to evaluate {@link CAPTURE_EXPRESSION}. V8 services that request as an
 * interrupt in the middle of the blocking JavaScript, so the main thread records its own
 * stack while the block is still going on. One capture per stall: the beat counter says
 * which stall a capture belongs to. The Debugger domain is never enabled (it costs 5x).
 *
 * Shared memory (BigInt64Array): [0] beat sequence (-1 = stop), [1] time of the last beat
 * (`process.hrtime.bigint()`, one monotonic clock for all threads).
 */
export const WORKER_SOURCE = String.raw`
"use strict";
const { workerData, parentPort } = require("node:worker_threads");
const inspector = require("node:inspector");
const shared = new BigInt64Array(workerData.buffer);
const slowNs = BigInt(workerData.slowMs) * 1000000n;
const session = new inspector.Session();
let connected = false;
let capturedSeq = -1n;
let timer;
let stopped = false;

try {
  session.connectToMainThread();
  connected = true;
} catch (err) {
  parentPort.postMessage({ type: "capture-unavailable", reason: String((err && err.message) || err) });
}

function capture(seq, detectedAt) {
  const expression =
    "globalThis[Symbol.for(" + JSON.stringify(workerData.symbol) + ")]?.(" + seq + "n, " + detectedAt + "n)" +
    "\n//# sourceURL=" + workerData.sourceUrl;
  session.post("Runtime.evaluate", { expression, silent: true, returnByValue: true }, (err, result) => {
    if (stopped) return;
    const failure = err ? String(err.message || err) : result && result.exceptionDetails ? "the capture threw" : undefined;
    if (failure !== undefined) parentPort.postMessage({ type: "capture-failed", reason: failure });
  });
}

function tick() {
  timer = undefined;
  if (stopped) return;
  const seq = Atomics.load(shared, 0);
  if (seq < 0n) return stop();
  const last = Atomics.load(shared, 1);
  const now = process.hrtime.bigint();
  const age = now - last;
  let waitNs = slowNs - age;
  if (age >= slowNs) {
    if (seq !== capturedSeq && connected) {
      capturedSeq = seq;
      capture(seq, now);
    }
    // Nothing more to do for this stall; look again once a healthy beat could be stale.
    waitNs = slowNs;
  }
  timer = setTimeout(tick, Math.max(1, Math.ceil(Number(waitNs) / 1e6)));
}

function stop() {
  if (stopped) return;
  stopped = true;
  if (timer !== undefined) clearTimeout(timer);
  // A session left connected at exit makes Node print "Waiting for the debugger to disconnect...".
  if (connected) session.disconnect();
  connected = false;
  parentPort.close();
}

parentPort.on("message", (message) => {
  if (message === "stop") stop();
});
tick();
`;
