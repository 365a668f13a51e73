import { executionAsyncId } from "node:async_hooks";
import type { TaskRef } from "../protocol/index.js";
import type { RawStack } from "../stacks/index.js";
import { captureStack } from "../stacks/index.js";
import { loopIdleMs } from "./loop-idle.js";
import { CAPTURES_PER_STALL, CAPTURE_SYMBOL_KEY } from "./thread-protocol.js";

/** Frames kept: deep enough to reach application code under Node's internal frames. */
const CAPTURE_FRAMES = 64;

/** A stack the main thread recorded while interrupted by the watchdog. */
export interface Capture {
  /** The heartbeat sequence of the stall this capture belongs to. */
  readonly seq: bigint;
  readonly stack: RawStack;
  readonly task: TaskRef | undefined;
  /** Milliseconds between the watchdog noticing the stall and this capture running. */
  readonly latencyMs: number;
  /** `process.hrtime.bigint()` when this capture ran (the clock the heartbeat uses). */
  readonly capturedAt: bigint;
  /**
   * The async id of the callback that was running (`executionAsyncId()`): two captures of
   * one stall with different ids ran in two different callbacks of the same loop turn.
   */
  readonly asyncId: number;
}

/**
 * Holds the captures of the current stall. Installed as a global function because the
 * watchdog thread reaches the main thread only through `Runtime.evaluate` (of
 * `captureExpression`, thread-protocol.ts); the function runs as an interrupt in the
 * middle of whatever code blocks the loop, so it must be quick, must not throw and must
 * leave no trace (it records, and returns nothing).
 */
export class CaptureSlot {
  /** The stall the captures belong to, and its captures (at most {@link CAPTURES_PER_STALL}). */
  #seq = -1n;
  #captures: Capture[] = [];
  /** The loop's idle milliseconds at the stall's first capture. */
  #idleAtFirst = 0;
  readonly #currentSeq: () => bigint;
  readonly #currentTask: () => TaskRef | undefined;
  readonly #symbol = Symbol.for(CAPTURE_SYMBOL_KEY);

  readonly #onCapture: ((capture: Capture) => void) | undefined;

  /**
   * @param onCapture - called with each capture, still inside the interrupt, while the
   *   loop is blocked (the early notice on stderr); it must be quick and must not throw.
   */
  constructor(
    currentSeq: () => bigint,
    currentTask: () => TaskRef | undefined,
    onCapture?: (capture: Capture) => void,
  ) {
    this.#currentSeq = currentSeq;
    this.#currentTask = currentTask;
    this.#onCapture = onCapture;
  }

  install(): void {
    const record = (seq: bigint, detectedAt: bigint): void => {
      try {
        // A capture serviced after the loop turned would blame whatever runs next.
        if (seq !== this.#currentSeq()) return;
        // In idle mode the sequence moves only when the heartbeat's resume beat runs, which
        // can come a few callbacks after the stall ended; a loop that has waited for I/O
        // since the first capture has turned, and the capture would blame a later callback
        // (and make one long callback look like many).
        const idleMs = loopIdleMs();
        if (this.#seq !== seq) {
          this.#seq = seq;
          this.#captures = [];
          this.#idleAtFirst = idleMs;
        } else if (idleMs !== this.#idleAtFirst) {
          return;
        }
        if (this.#captures.length >= CAPTURES_PER_STALL) return;
        const stack = captureStack(record, CAPTURE_FRAMES);
        let task: TaskRef | undefined;
        try {
          task = this.#currentTask();
        } catch {
          task = undefined;
        }
        const capturedAt = process.hrtime.bigint();
        const latencyMs = Number(capturedAt - detectedAt) / 1e6;
        const capture: Capture = {
          seq,
          stack,
          task,
          latencyMs,
          capturedAt,
          asyncId: executionAsyncId(),
        };
        this.#captures.push(capture);
        this.#onCapture?.(capture);
      } catch {
        // Never throw into the interrupted code.
      }
    };
    (globalThis as Record<symbol, unknown>)[this.#symbol] = record;
  }

  uninstall(): void {
    delete (globalThis as Record<symbol, unknown>)[this.#symbol];
    this.#captures = [];
    this.#seq = -1n;
  }

  /**
   * The captures recorded during stall `seq`, in the order they ran (none when the stall
   * got none); the slot is emptied.
   */
  take(seq: bigint): readonly Capture[] {
    const captures = this.#seq === seq ? this.#captures : [];
    this.#captures = [];
    this.#seq = -1n;
    return captures;
  }
}
