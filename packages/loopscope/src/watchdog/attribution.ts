import type { Frame, TaskRef } from "../protocol/index.js";
import { isApplicationFrame } from "../protocol/index.js";
import type { BlockReport } from "./coalesce.js";

/** The innermost application frame of a stack, if it has one. */
export function firstApplicationFrame(stack: readonly Frame[]): Frame | undefined {
  return stack.find(isApplicationFrame);
}

/**
 * A capture that ran within this long of the block being detected was taken inside
 * running JavaScript, whatever came after it: V8 services the watchdog's interrupt within
 * about a millisecond. A floor only: on a loaded machine a capture taken inside JavaScript
 * can come tens of milliseconds late (the main thread or the watchdog thread waited for a
 * core), so lateness alone never makes a capture "late" (see {@link answeredWhenReleased}).
 */
export const PROMPT_CAPTURE_MS = 10;

/** When a capture ran, relative to the block it belongs to (one monotonic clock). */
export interface CaptureTiming {
  /** Milliseconds from the watchdog detecting the block to the capture running. */
  readonly latencyMs: number;
  /** Milliseconds the block went on after the capture, until the loop turned again. */
  readonly wentOnMs: number;
}

/**
 * Whether the main thread answered only when what held it let go: a native call
 * (`readFileSync`, `pbkdf2Sync`, `JSON.parse` of a large text), which services no
 * interrupt until it returns. The evidence is where the capture falls in the block, not
 * its round-trip time alone: a thread held by a native call answers when the call returns,
 * so the capture comes late and the loop turns again right after it (the block was over);
 * JavaScript answers while it runs, so whatever delay a loaded machine adds, the block
 * goes on after the capture. A late capture is one that came after the
 * {@link PROMPT_CAPTURE_MS} floor and closer to the block's end than to its detection.
 *
 * What the evidence cannot tell apart: JavaScript that happens to stop blocking within a
 * few milliseconds of a capture delayed by load reads as a native call.
 */
export function answeredWhenReleased(timing: CaptureTiming): boolean {
  return timing.latencyMs > PROMPT_CAPTURE_MS && timing.wentOnMs < timing.latencyMs;
}

/** A block's place, before its cause is known. */
export type AttributedBlock = Pick<BlockReport, "durationMs" | "stack" | "note" | "task">;

/** A capture resolved to frames (the capture expression's own frame removed). */
export interface ResolvedCapture extends CaptureTiming {
  readonly stack: readonly Frame[];
  readonly task: TaskRef | undefined;
}

/**
 * The report of one block from the capture taken during it. A capture taken while the
 * block went on is the blocking code's stack, reported as it is. A capture the thread
 * answered only once a native call had returned names the calling line when the thread
 * answered in application code, and the note says so; when it answered in Node's own code
 * (the call's callback had returned: a large `JSON.parse` in a timer answers in
 * `listOnTimeout`), nothing of the block could be attributed: the stack is empty, the
 * note says so, and neither the frames nor the task that ran next are blamed.
 */
export function describeCapture(durationMs: number, capture: ResolvedCapture): AttributedBlock {
  const { stack, task } = capture;
  if (stack.length === 0) {
    return {
      durationMs,
      stack,
      note: "nothing could be captured during the block: the main thread was outside JavaScript",
      ...(task === undefined ? {} : { task }),
    };
  }
  if (!answeredWhenReleased(capture)) {
    return { durationMs, stack, ...(task === undefined ? {} : { task }) };
  }
  const latency = Math.round(capture.latencyMs);
  const wentOn = Math.round(capture.wentOnMs);
  if (firstApplicationFrame(stack) === undefined) {
    return {
      durationMs,
      stack: [],
      note:
        "nothing could be attributed during the block: the main thread answered only after the code that held it " +
        `had returned (a native call such as a large JSON.parse), ${latency} ms after the block was detected and ` +
        `${wentOn} ms before the loop turned again, in Node's own code (${whereAnswered(stack)}): ` +
        "that is what ran next, not what blocked",
    };
  }
  return {
    durationMs,
    stack,
    note:
      `stack captured ${latency} ms after the block was detected and ${wentOn} ms before the loop turned again: ` +
      "the thread was held by a native call and answered when it returned; " +
      "the innermost application frame is the calling line (or the line just after it)",
    ...(task === undefined ? {} : { task }),
  };
}

/** The innermost frames where the thread answered, for the note. */
function whereAnswered(stack: readonly Frame[]): string {
  return stack
    .slice(0, 2)
    .map((frame) => `${frame.fn} (${frame.file}:${frame.line})`)
    .join(", called from ");
}
