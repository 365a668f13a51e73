/**
 * Host pauses: the watchdog thread records a time the whole process was not running (its
 * own wake came late while the main thread did not run either) in a shared ring; the main
 * thread's PauseLog reads it for a stall's evidence and tells of each new pause.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { PauseLog } from "../../src/watchdog/pauses.js";
import { PAUSE_SLOTS, Pauses } from "../../src/watchdog/thread-protocol.js";
import { assertBuilt, fixture, start } from "../fixtures/child-process.js";

const MS = 1_000_000n;

/** Write pause `[startMs, endMs]` into the ring as the watchdog thread does. */
function recordPause(log: PauseLog, startMs: number, endMs: number): void {
  const count = Number(Atomics.load(log.shared, Pauses.COUNT));
  const slot = Pauses.RING + 2 * (count % PAUSE_SLOTS);
  Atomics.store(log.shared, slot, BigInt(startMs) * MS);
  Atomics.store(log.shared, slot + 1, BigInt(endMs) * MS);
  Atomics.store(log.shared, Pauses.COUNT, BigInt(count + 1));
}

describe("PauseLog", () => {
  it("adds up the paused milliseconds that fall between two times", () => {
    const log = new PauseLog();
    recordPause(log, 1000, 1600);
    recordPause(log, 3000, 3100);
    assert.equal(log.pausedMsBetween(0n, 10_000n * MS), 700);
    // Partly inside: only the overlap.
    assert.equal(log.pausedMsBetween(1500n * MS, 3050n * MS), 150);
    assert.equal(log.pausedMsBetween(2000n * MS, 2500n * MS), 0);
  });

  it("tells each new pause once, in a setImmediate, saying whether a stall counted it", async () => {
    const log = new PauseLog();
    const told: Array<{ durationMs: number; counted: boolean }> = [];
    log.onPause(({ durationMs, counted }) => told.push({ durationMs, counted }));
    recordPause(log, 1000, 1600);
    recordPause(log, 5000, 5050);
    // A stall's classification read the first one before the listener runs.
    log.recorded();
    assert.equal(log.pausedMsBetween(900n * MS, 2000n * MS), 600);
    assert.deepEqual(told, []);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(told, [
      { durationMs: 600, counted: true },
      { durationMs: 50, counted: false },
    ]);
    // Told once: another message tells only what is new.
    recordPause(log, 7000, 7300);
    log.recorded();
    log.recorded();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(told.at(-1), { durationMs: 300, counted: false });
    assert.equal(told.length, 3);
  });

  it("keeps the last pauses only, in a bounded ring", () => {
    const log = new PauseLog();
    for (let i = 0; i < PAUSE_SLOTS + 4; i++) recordPause(log, i * 1000, i * 1000 + 100);
    assert.equal(log.count, PAUSE_SLOTS + 4);
    assert.equal(log.recent().length, PAUSE_SLOTS);
    assert.equal(log.recent()[0]!.startedAt, 4000n * MS);
    assert.equal(log.pausedMsBetween(0n, 4000n * MS), 0);
  });
});

interface PausesReport {
  told: Array<{ durationMs: number; counted: boolean }>;
  stalls: Array<{ durationMs: number; pausedMs: number }>;
}

/** Stop the child for `ms` (SIGSTOP, then SIGCONT), as a debugger, a cgroup or the host would. */
async function stopFor(pid: number, ms: number): Promise<void> {
  process.kill(pid, "SIGSTOP");
  try {
    await sleep(ms);
  } finally {
    process.kill(pid, "SIGCONT");
  }
}

const linux = process.platform === "linux";

describe("a stopped process", { skip: !linux && "SIGSTOP and /proc: Linux" }, () => {
  it("is seen as a pause when it was idle: told, and not blamed on the loop", async () => {
    assertBuilt();
    const child = start(process.execPath, [fixture("watchdog/pauses.js"), "idle"]);
    await child.waitForStdout(/READY (true|false)\n/);
    // Printing READY woke the loop: let the heartbeat go back to idle mode.
    await sleep(600);
    await stopFor(child.child.pid!, 600);
    const { code, stdout, stderr } = await child.finished;
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as PausesReport;
    const pause = report.told.find((told) => told.durationMs >= 300);
    assert.ok(pause !== undefined, stdout);
    // Usually no stall at all. SIGCONT interrupts the loop's wait, and libuv forgets the
    // idle time of an interrupted wait: when the watchdog thread finds the main thread
    // running just then, the heartbeat measures a stall around the pause, made mostly of
    // it (a host pause to the classifier), and the pause is counted in it.
    for (const stall of report.stalls) {
      assert.ok(stall.pausedMs >= stall.durationMs / 2, stdout);
    }
    if (pause.counted) assert.ok(report.stalls.length >= 1, stdout);
  });

  it("is counted in the stall it fell in, for about as long as it lasted", async () => {
    assertBuilt();
    const child = start(process.execPath, [fixture("watchdog/pauses.js"), "busy"]);
    await child.waitForStdout(/BUSY\n/);
    await sleep(300);
    await stopFor(child.child.pid!, 600);
    const { code, stdout, stderr } = await child.finished;
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as PausesReport;
    const stall = report.stalls.find((s) => s.durationMs >= 1000);
    assert.ok(stall !== undefined, stdout);
    assert.ok(stall.pausedMs >= 300, stdout);
    // Told after the stall's classification counted it.
    assert.ok(
      report.told.some((told) => told.durationMs >= 300 && told.counted),
      stdout,
    );
  });
});
