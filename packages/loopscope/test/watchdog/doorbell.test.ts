/**
 * The heartbeat's doorbell in idle mode: armed, the first callback the loop runs after it
 * waits rings it, which marks `Beat.DOORBELL` and wakes a thread sleeping on `Control.STOP`
 * (as the watchdog thread does between looks at an idle main thread).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import { Doorbell } from "../../src/watchdog/doorbell.js";
import {
  ARMED,
  Beat,
  Control,
  NO_DOORBELL,
  RUNG,
  WATCHING,
  createBeatArray,
  createControlArray,
} from "../../src/watchdog/thread-protocol.js";

/** A thread asleep on `control[Control.STOP]` for up to `ms`: resolves with how it woke. */
function sleeperOn(
  control: Int32Array,
  ms: number,
): { woke: Promise<string>; ready: Promise<void> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     parentPort.postMessage("ready");
     parentPort.postMessage(Atomics.wait(workerData.control, ${Control.STOP}, ${WATCHING}, ${ms}));`,
    { eval: true, workerData: { control } },
  );
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const woke = new Promise<string>((resolve, reject) => {
    worker.on("message", (message: string) => {
      if (message === "ready") onReady();
      else resolve(message);
    });
    worker.once("error", reject);
  });
  return { woke: woke.finally(() => worker.terminate()), ready };
}

function doorbell(): { bell: Doorbell; beat: BigInt64Array; control: Int32Array } {
  const beat = createBeatArray();
  const control = createControlArray();
  const bell = Doorbell.create(beat, control);
  assert.ok(bell !== undefined, "async hooks are there on every supported Node");
  return { bell, beat, control };
}

describe("the doorbell", () => {
  it("rings on the first callback after the loop waits, wakes the sleeping thread, and disarms", async () => {
    const { bell, beat, control } = doorbell();
    const sleeper = sleeperOn(control, 10_000);
    await sleeper.ready;
    // Let the thread reach its wait.
    await sleep(50);
    bell.arm();
    assert.equal(Atomics.load(beat, Beat.DOORBELL), ARMED);
    const armedAt = process.hrtime.bigint();
    await sleep(20);
    assert.equal(await sleeper.woke, "ok");
    assert.equal(Atomics.load(beat, Beat.DOORBELL), RUNG);
    // When it rang: after it was armed, and before the sleeper said it woke.
    const rungAt = Atomics.load(beat, Beat.RUNG_AT);
    assert.ok(rungAt > armedAt && rungAt <= process.hrtime.bigint(), `rung at ${rungAt}`);
    assert.equal(bell.armed, false);
    bell.disarm();
    assert.equal(Atomics.load(beat, Beat.DOORBELL), NO_DOORBELL);
  });

  it("does not ring for the callbacks of the turn that armed it", async () => {
    const { bell, beat } = doorbell();
    try {
      // Armed inside a callback (as a beat arms it), with more work in the same turn: an
      // immediate, a promise reaction and a tick, none of them after a wait.
      await new Promise<void>((resolve) => {
        setTimeout(() => {
          bell.arm();
          process.nextTick(() => undefined);
          void Promise.resolve().then(() => undefined);
          setImmediate(() => {
            assert.equal(Atomics.load(beat, Beat.DOORBELL), ARMED);
            assert.equal(bell.armed, true);
            resolve();
          });
        }, 5);
      });
      // The next callback after a wait rings it.
      await sleep(20);
      assert.equal(Atomics.load(beat, Beat.DOORBELL), RUNG);
    } finally {
      bell.disarm();
    }
  });

  it("rings nothing once disarmed", async () => {
    const { bell, beat, control } = doorbell();
    const sleeper = sleeperOn(control, 400);
    await sleeper.ready;
    bell.arm();
    bell.disarm();
    await sleep(20);
    assert.equal(await sleeper.woke, "timed-out");
    assert.equal(Atomics.load(beat, Beat.DOORBELL), NO_DOORBELL);
  });
});
