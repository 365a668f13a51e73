/**
 * The capture slot keeps a stall's captures only while the loop has not turned: in idle
 * mode the stall's sequence moves only when the heartbeat's resume beat runs, and a capture
 * serviced in a callback after the stall ended would blame it (and count it as one more
 * callback of the stall).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CaptureSlot } from "../../src/watchdog/capture.js";
import { CAPTURE_SYMBOL_KEY } from "../../src/watchdog/thread-protocol.js";

type Record = (seq: bigint, detectedAt: bigint) => void;

function installedSlot(seq: bigint): { slot: CaptureSlot; record: Record } {
  const slot = new CaptureSlot(
    () => seq,
    () => undefined,
  );
  slot.install();
  const record = (globalThis as { [key: symbol]: unknown })[Symbol.for(CAPTURE_SYMBOL_KEY)];
  assert.equal(typeof record, "function");
  return { slot, record: record as Record };
}

describe("the capture slot", () => {
  it("keeps the captures of one turn, in two callbacks of it", async () => {
    const { slot, record } = installedSlot(7n);
    try {
      await new Promise<void>((resolve) => {
        setImmediate(() => record(7n, process.hrtime.bigint()));
        setImmediate(() => {
          record(7n, process.hrtime.bigint());
          resolve();
        });
      });
      const captures = slot.take(7n);
      assert.equal(captures.length, 2);
      assert.notEqual(captures[0]!.asyncId, captures[1]!.asyncId);
    } finally {
      slot.uninstall();
    }
  });

  it("drops a capture of the same stall once the loop has waited since the first", async () => {
    const { slot, record } = installedSlot(7n);
    try {
      record(7n, process.hrtime.bigint());
      await sleep(20);
      record(7n, process.hrtime.bigint());
      assert.equal(slot.take(7n).length, 1);
    } finally {
      slot.uninstall();
    }
  });

  it("drops a capture for a stall that is over", () => {
    const { slot, record } = installedSlot(8n);
    try {
      record(7n, process.hrtime.bigint());
      assert.equal(slot.take(7n).length, 0);
    } finally {
      slot.uninstall();
    }
  });
});
