/**
 * The inspector's server thread tells from the heartbeat alone whether the main loop is
 * blocked: a last beat older than the threshold says so, except in idle mode while the
 * doorbell is armed, when the watchdog thread moves the time forward only at its rare looks.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BlockedWatch } from "../../src/inspector/server/blocked-watch.js";
import {
  ARMED,
  BEATING,
  Beat,
  DOORBELL_LOOK_MS,
  IDLE,
  NO_DOORBELL,
  RUNG,
  createBeatArray,
} from "../../src/watchdog/thread-protocol.js";

const SLOW_MS = 100;

function watchWith(ageMs: number, mode: bigint, doorbell: bigint): BlockedWatch {
  const beat = createBeatArray();
  Atomics.store(beat, Beat.TIME, process.hrtime.bigint() - BigInt(ageMs) * 1_000_000n);
  Atomics.store(beat, Beat.MODE, mode);
  Atomics.store(beat, Beat.DOORBELL, doorbell);
  return new BlockedWatch({
    beat,
    layout: { seq: Beat.SEQ, time: Beat.TIME, mode: Beat.MODE, doorbell: Beat.DOORBELL },
    slowMs: SLOW_MS,
    beatMs: SLOW_MS / 4,
    idle: { mode: IDLE, armed: ARMED, lookMs: DOORBELL_LOOK_MS },
  });
}

describe("BlockedWatch", () => {
  const age = SLOW_MS + DOORBELL_LOOK_MS / 2;

  it("says blocked when the last beat is older than the threshold", () => {
    const blocked = watchWith(age, BEATING, NO_DOORBELL).now();
    assert.ok(blocked !== undefined);
    assert.ok(blocked.forMs >= age - 1, String(blocked.forMs));
    assert.equal(watchWith(SLOW_MS / 2, BEATING, NO_DOORBELL).now(), undefined);
  });

  it("allows the watchdog thread's rare looks in idle mode while the doorbell is armed", () => {
    assert.equal(watchWith(age, IDLE, ARMED).now(), undefined);
    // Older than a look can leave it: the watchdog thread set it back to a block's start.
    assert.ok(watchWith(SLOW_MS + DOORBELL_LOOK_MS + 50, IDLE, ARMED).now() !== undefined);
  });

  it("uses the threshold again once the doorbell rang, or in idle mode without one", () => {
    assert.ok(watchWith(age, IDLE, RUNG).now() !== undefined);
    assert.ok(watchWith(age, IDLE, NO_DOORBELL).now() !== undefined);
  });
});
