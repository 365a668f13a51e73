import type { Frame, SeenFunction, StallCause, StallEvidence, TaskRef } from "../protocol/index.js";
import { isApplicationFrame } from "../protocol/index.js";
import type { ResolvedCapture } from "./attribution.js";
import { PROMPT_CAPTURE_MS, answeredWhenReleased, describeCapture } from "./attribution.js";
import type { BlockReport } from "./coalesce.js";

/** A capture of the stall, resolved, with the callback it ran in. */
export interface StallCapture extends ResolvedCapture {
  /** `executionAsyncId()` when it ran: a different id is a different callback. */
  readonly asyncId: number;
}

/** A native call that was running when the stall was detected, seen as it returned. */
export interface NativeCallSeen {
  /** e.g. `JSON.parse`, `crypto.pbkdf2Sync`. */
  readonly call: string;
  /** The stack where the call returned: its first frame is the line that made the call. */
  readonly stack: readonly Frame[];
  readonly task: TaskRef | undefined;
  /** Milliseconds from the call's return to the loop turning again. */
  readonly returnedBeforeEndMs: number;
}

/** Everything the watchdog knows of one stall when the loop turns again. */
export interface StallFacts {
  /** How long the loop was held: the heartbeat's gap less the loop's idle time in it. */
  readonly heldMs: number;
  /** The stall's captures, in the order they ran (empty when none came). */
  readonly captures: readonly StallCapture[];
  readonly nativeCall?: NativeCallSeen;
  /** Garbage-collection pauses inside the stall. */
  readonly gcMs?: number;
  /** Time inside the stall when the whole process was not running. */
  readonly pausedMs?: number;
  /** The main thread's CPU time across the stall. */
  readonly cpuMs?: number;
  /** Why stacks are not captured (durations-only mode), if they are not. */
  readonly noCaptureReason?: string;
}

/** A stall is a host pause when the process was not running for this share of it, or more. */
const PAUSED_SHARE = 0.5;
/**
 * A stall with a pause in it is the pause's too when, for the rest of it, the main thread was
 * on a CPU for less than this share and no capture found the application's code: it waited
 * in its loop around the pause (libuv forgets the idle time of a wait that the stop
 * interrupted, so the loop reads as held since the watchdog thread last looked at it).
 */
const WAITED_CPU_SHARE = 0.2;
/** A stall is garbage collection's when it collected for this share of the held time, or more. */
const GC_SHARE = 0.5;
/** Captures of one callback in a stall that make it a long one (see {@link longCallback}). */
const LONG_CALLBACK_CAPTURES = 3;
/** Functions named for a `many-callbacks` stall. */
const MAX_FUNCTIONS = 5;

const round1 = (ms: number): number => Math.round(ms * 10) / 10;

/**
 * The cause of a stall and the report to make of it, from the evidence, in this order:
 * the process not running for most of it, or for some of it while the main thread ran no
 * code of the application's for the rest (`host-paused`: no line is blamed); garbage
 * collection for most of the rest (`gc`); a native call seen returning after the stall
 * was detected (`native-call`, at the exact line); captures in two or more callbacks
 * (`many-callbacks`: none of them is blamed as if it held the loop); a capture the thread
 * answered only when what held it returned (`native-call`, the calling line or the one
 * after it); a capture inside running JavaScript (`javascript`); otherwise `unknown`.
 *
 * A pause inside a stall that was otherwise held by code is reported apart: `durationMs`
 * is the time the loop was held while the process ran, `evidence.pausedMs` the pause.
 */
export function classifyStall(facts: StallFacts): BlockReport {
  const pausedMs = Math.min(facts.pausedMs ?? 0, facts.heldMs);
  const base: Mutable<StallEvidence> = {};
  // The CPU since the beat before the stall may include work before it: never more than the stall.
  if (facts.cpuMs !== undefined) base.cpuMs = round1(Math.min(facts.cpuMs, facts.heldMs));
  if (facts.gcMs !== undefined && facts.gcMs > 0) base.gcMs = round1(facts.gcMs);
  if (pausedMs > 0) base.pausedMs = round1(pausedMs);
  if (facts.captures.length > 0) base.captures = facts.captures.length;

  if (pausedMs > 0 && pausedMs >= PAUSED_SHARE * facts.heldMs) {
    return hostPaused(round1(facts.heldMs), base);
  }
  if (pausedMs > 0 && waitedAroundPause(facts, facts.heldMs - pausedMs)) {
    return hostPaused(
      round1(facts.heldMs),
      base,
      `the whole process was not running for ${Math.round(pausedMs)} ms of it, and for the rest the ` +
        `main thread ran ${Math.round(facts.cpuMs ?? 0)} ms of CPU and no code of the application's: ` +
        "it waited, so no line of code is to blame",
    );
  }
  const durationMs = round1(facts.heldMs - pausedMs);
  const first = facts.captures[0];
  const task = facts.nativeCall?.task ?? first?.task;
  const withTask = task === undefined ? {} : { task };

  const gcMs = facts.gcMs ?? 0;
  if (gcMs > 0 && gcMs >= GC_SHARE * durationMs) {
    const stack = facts.nativeCall?.stack ?? first?.stack ?? [];
    return {
      durationMs,
      cause: "gc",
      evidence: base,
      stack,
      note:
        `garbage collection held the thread for ${Math.round(gcMs)} ms of the ${Math.round(durationMs)} ms: ` +
        (stack.length === 0
          ? "no stack was captured"
          : "the stack is where the program was when it collected (what allocated), not a slow line"),
      ...withTask,
    };
  }

  // The call held the loop if the loop turned soon after it returned; otherwise JavaScript
  // went on holding it after the call, and the captures say where.
  if (
    facts.nativeCall !== undefined &&
    facts.nativeCall.returnedBeforeEndMs <= Math.max(PROMPT_CAPTURE_MS, durationMs / 2)
  ) {
    return {
      durationMs,
      cause: "native-call",
      evidence: { ...base, nativeCall: facts.nativeCall.call },
      stack: facts.nativeCall.stack,
      ...withTask,
    };
  }

  // A capture in Node's own code only (between two callbacks, or in Node's own callback
  // such as a GC observer's) is no callback of the application's.
  const inApplication = facts.captures.filter((capture) => capture.stack.some(isApplicationFrame));
  const considered = inApplication.length > 0 ? inApplication : facts.captures;
  const callbacks = new Set(considered.map((capture) => capture.asyncId)).size;
  const long = longCallback(considered);
  if (callbacks >= 2 && long === undefined) {
    const functions = seenMost(facts.captures);
    const top = functions[0];
    return {
      durationMs,
      cause: "many-callbacks",
      evidence: { ...base, callbacks, functions },
      stack: top === undefined ? (first?.stack ?? []) : [top.frame],
      note:
        `one turn of the loop ran at least ${callbacks} callbacks, none of them long: ` +
        "look where they are scheduled (the fan-out), not inside one of them",
      ...withTask,
    };
  }

  if (first === undefined) {
    return {
      durationMs,
      cause: "unknown",
      evidence: base,
      stack: [],
      note:
        facts.noCaptureReason === undefined
          ? "nothing could be captured during the block: the main thread did not answer before the loop turned again"
          : `stack not captured: ${facts.noCaptureReason}`,
    };
  }
  const blamed = long ?? first;
  const report = describeCapture(durationMs, blamed);
  let cause: StallCause = "javascript";
  if (answeredWhenReleased(blamed)) cause = "native-call";
  else if (report.stack.length === 0) cause = "unknown";
  return { ...report, cause, evidence: { ...base, callbacks } };
}

/**
 * Whether the main thread waited through the `runningMs` of a stall the process was running:
 * it was on a CPU for under {@link WAITED_CPU_SHARE} of them, no native call was seen, and
 * no capture found a frame of the application's.
 */
function waitedAroundPause(facts: StallFacts, runningMs: number): boolean {
  return (
    facts.cpuMs !== undefined &&
    facts.cpuMs < WAITED_CPU_SHARE * runningMs &&
    facts.nativeCall === undefined &&
    !facts.captures.some((capture) => capture.stack.some(isApplicationFrame))
  );
}

/**
 * The first capture of the callback that held the loop for most of a stall seen in several,
 * if one did: it was captured {@link LONG_CALLBACK_CAPTURES} times or more (captures come a
 * beat interval apart, so it ran for two of them at least) and in half the captures or more.
 * Another callback's capture is then one that ran just after it, before the heartbeat saw
 * the loop turn (in idle mode the beat that ends a stall can come a few callbacks later).
 */
function longCallback(captures: readonly StallCapture[]): StallCapture | undefined {
  const byCallback = new Map<number, { first: StallCapture; count: number }>();
  for (const capture of captures) {
    const seen = byCallback.get(capture.asyncId);
    if (seen === undefined) byCallback.set(capture.asyncId, { first: capture, count: 1 });
    else seen.count++;
  }
  for (const { first, count } of byCallback.values()) {
    if (count >= LONG_CALLBACK_CAPTURES && count * 2 >= captures.length) return first;
  }
  return undefined;
}

const HOST_PAUSED_NOTE =
  "the whole process was not running (stopped, throttled, or the host took the CPU): " +
  "every thread was late by as much, so no line of code is to blame";

/**
 * The report of a time the whole process was not running (an idle process's pause, or most
 * of a stall); `note` says why when the pause was not most of it.
 */
export function hostPaused(
  durationMs: number,
  evidence: StallEvidence,
  note = HOST_PAUSED_NOTE,
): BlockReport {
  return {
    durationMs,
    cause: "host-paused",
    evidence: { ...evidence, pausedMs: evidence.pausedMs ?? durationMs },
    stack: [],
    note,
  };
}

/**
 * The callbacks the captures found running, most first, at most {@link MAX_FUNCTIONS}:
 * each capture's outermost application frame, the function the loop called (what was
 * scheduled), whatever it called in turn.
 */
function seenMost(captures: readonly StallCapture[]): SeenFunction[] {
  const counts = new Map<string, { frame: Frame; seen: number }>();
  // A capture that fell between two callbacks (in Node's own code) names no callback.
  const inCallbacks = captures.filter((capture) => capture.stack.some(isApplicationFrame));
  for (const capture of inCallbacks.length > 0 ? inCallbacks : captures) {
    const frame = capture.stack.findLast(isApplicationFrame) ?? capture.stack[0];
    if (frame === undefined) continue;
    const key = `${frame.fn} ${frame.file}:${frame.line}`;
    const entry = counts.get(key);
    if (entry === undefined) counts.set(key, { frame, seen: 1 });
    else entry.seen++;
  }
  return [...counts.values()].sort((a, b) => b.seen - a.seen).slice(0, MAX_FUNCTIONS);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
