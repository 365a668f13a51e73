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
 * stack while the block is still going on. The beat counter says which stall a capture
 * belongs to. A stall gets one capture, and a second one a beat interval later if it still
 * goes on (the first may come when the loop has been held for only three quarters of the
 * threshold; the main thread keeps the first and prints its early notice on the second).
 * The Debugger domain is never enabled (it costs 5x).
 *
 * Shared memory: `buffer` (BigInt64Array) [0] beat sequence, [1] time of the last beat
 * (`process.hrtime.bigint()`, one monotonic clock for all threads); `control` (Int32Array)
 * [0] stop request, [1] set once the session is disconnected.
 */
export const WORKER_SOURCE = String.raw`
"use strict";
const { workerData, parentPort } = require("node:worker_threads");
const inspector = require("node:inspector");
const shared = new BigInt64Array(workerData.buffer);
const slowNs = BigInt(workerData.slowMs) * 1000000n;
const session = new inspector.Session();
let connected = false;
const control = new Int32Array(workerData.control);
const STOP = 0;
const DISCONNECTED = 1;
let capturedSeq = -1n;
let confirmedSeq = -1n;
const beatNs = BigInt(workerData.beatMs) * 1000000n;
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
  if (stopped) return;
  const seq = Atomics.load(shared, 0);
  const last = Atomics.load(shared, 1);
  const now = process.hrtime.bigint();
  const age = now - last;
  let waitNs = slowNs - age;
  if (age >= slowNs) {
    // Nothing more to do for this stall; look again once a healthy beat could be stale.
    waitNs = slowNs;
    if (!connected) {
      // Durations only: nothing to capture.
    } else if (seq !== capturedSeq) {
      capturedSeq = seq;
      capture(seq, now);
      // The loop may have been held for a beat interval less than the threshold so far:
      // look again once it has surely been held that long.
      waitNs = beatNs;
    } else if (seq !== confirmedSeq) {
      const untilSure = slowNs + beatNs - age;
      if (untilSure > 0n) {
        waitNs = untilSure;
      } else {
        // Still the same stall, surely past the threshold: the main thread prints its
        // early notice on this capture if it held back on the first.
        confirmedSeq = seq;
        capture(seq, now);
      }
    }
  }
  // Sleep on the stop flag rather than on a timer: the main thread's exit handler wakes
  // us at once and waits (briefly) for the session to be disconnected.
  const waited = Atomics.waitAsync(control, STOP, 0, Math.max(1, Math.ceil(Number(waitNs) / 1e6)));
  if (waited.async) waited.value.then(wake);
  else wake();
}

function wake() {
  if (Atomics.load(control, STOP) !== 0) stop();
  else tick();
}

function stop() {
  if (stopped) return;
  stopped = true;
  // A session left connected at exit makes Node print "Waiting for the debugger to disconnect...".
  if (connected) session.disconnect();
  connected = false;
  Atomics.store(control, DISCONNECTED, 1);
  Atomics.notify(control, DISCONNECTED);
  parentPort.close();
}

// Keeps this thread's loop alive while it watches (the main thread unrefs the worker).
parentPort.on("message", () => undefined);
tick();
`;
