import type { BlockedNow, Frame } from "../../protocol/index.js";
import type { InspectorThreadData } from "../thread-protocol.js";

/** Facts older than this mean the main thread is not turning, when there is no heartbeat to read. */
const FACTS_STALE_MS = 2_500;

/**
 * Tells, from the server thread and without the main thread's help, whether the main loop
 * is blocked now: the watchdog's heartbeat in shared memory says since when; the stack is
 * the one the watchdog captured during this very block (the beat sequence matches).
 */
export class BlockedWatch {
  readonly #heartbeat: InspectorThreadData["heartbeat"];
  #capture: { seq: bigint; stack: readonly Frame[]; task: BlockedNow["task"] } | undefined;
  #factsAt = Date.now();

  constructor(heartbeat: InspectorThreadData["heartbeat"]) {
    this.#heartbeat = heartbeat;
  }

  captured(seq: bigint, stack: readonly Frame[], task: BlockedNow["task"]): void {
    this.#capture = { seq, stack, task };
  }

  /** The main thread sent its facts: it was turning then. */
  factsArrived(): void {
    this.#factsAt = Date.now();
  }

  now(): BlockedNow | undefined {
    const heartbeat = this.#heartbeat;
    if (heartbeat === undefined) {
      const forMs = Date.now() - this.#factsAt;
      return forMs < FACTS_STALE_MS ? undefined : { since: this.#factsAt, forMs, stack: [] };
    }
    const seq = Atomics.load(heartbeat.beat, heartbeat.layout.seq);
    const last = Atomics.load(heartbeat.beat, heartbeat.layout.time);
    const ageMs = Number(process.hrtime.bigint() - last) / 1e6;
    // A healthy loop's last beat is up to a beat interval old, and timers run a little late.
    // In idle mode with the doorbell armed, the watchdog thread moves the time forward only
    // at its rare looks (a callback would have rung it).
    const { idle } = heartbeat;
    const idleWithDoorbell =
      Atomics.load(heartbeat.beat, heartbeat.layout.mode) === idle.mode &&
      Atomics.load(heartbeat.beat, heartbeat.layout.doorbell) === idle.armed;
    const healthyMs =
      Math.max(heartbeat.slowMs, heartbeat.beatMs * 2) + (idleWithDoorbell ? idle.lookMs : 0);
    if (ageMs < healthyMs) return undefined;
    const capture = this.#capture?.seq === seq ? this.#capture : undefined;
    const blocked: { -readonly [K in keyof BlockedNow]: BlockedNow[K] } = {
      since: Math.round(Date.now() - ageMs),
      forMs: Math.round(ageMs),
      stack: capture?.stack ?? [],
    };
    if (capture?.task !== undefined) blocked.task = capture.task;
    return blocked;
  }
}
