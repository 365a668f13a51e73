// One stall of each cause the watchdog tells apart, one after another, for the samples in
// the docs. Run it with loopscope on (the GC stall needs --expose-gc):
//   LOOPSCOPE_SLOW_MS=50 node --expose-gc --import loopscope/register docs/examples/stalls.mjs
import { execFile } from "node:child_process";
import { pbkdf2Sync } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

function busyLoop(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** A tenth of a millisecond of work: short on its own. */
function tick() {
  busyLoop(0.1);
}

function fanOut(count) {
  for (let i = 0; i < count; i++) setImmediate(tick);
}

function deriveKey() {
  return pbkdf2Sync("secret", "salt", 1_000_000, 32, "sha256");
}

function collect() {
  globalThis.gc?.();
}

/** Many small objects kept alive, so that a full collection has much to mark. */
const heap = [];
for (let i = 0; i < 3_000_000; i++) heap.push({ i, next: heap[i - 1] });
globalThis.retained = heap;

/** Stops this very process for `ms` from a shell, as a host or a debugger would. */
function pauseMe(ms) {
  const script = `sleep 0.1; kill -STOP ${process.pid}; sleep ${ms / 1000}; kill -CONT ${process.pid}`;
  execFile("sh", ["-c", script]);
}

await sleep(500);
busyLoop(300);
await sleep(300);
fanOut(4000);
await sleep(800);
deriveKey();
await sleep(300);
collect();
await sleep(300);
pauseMe(600);
await sleep(1500);
