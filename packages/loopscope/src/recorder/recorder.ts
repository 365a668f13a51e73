/**
 * The flight recorder: what happened in the last seconds (tasks started, settled and
 * cancelled, blocks, GC pauses, unhandled rejections, blocking calls), kept in bounded
 * rings so a report of a stall, a crash or a question can say what led up to it.
 * Recording never throws into the application and a task costs a few array writes.
 */
import { onEvent } from "../events/index.js";
import type { LoopscopeEvent, RecorderWindow, TaskRef } from "../protocol/index.js";
import { collectGcPauses, onGcPause, trackGcPauses } from "./gc.js";
import { EntryRing, Kind } from "./ring.js";
import { TaskTally } from "./task-tally.js";
import { MAX_TEXT, errorText, shortText } from "./text.js";
import type { WindowLimits } from "./window.js";
import { DEFAULT_WINDOW_LIMITS, buildWindow } from "./window.js";

/** Options of {@link startRecorder}; each left out takes its default. */
export interface RecorderOptions {
  /** How far back the recorder keeps entries, in seconds (`LOOPSCOPE_RECORDER_SECONDS`). Default 10. */
  readonly seconds?: number;
  /** Entries kept at most (one in eight for blocks, GC pauses, rejections, calls). Default 4,096. */
  readonly maxEntries?: number;
  /** Estimated bytes kept at most, shared the same way. Default 512 KiB. */
  readonly maxBytes?: number;
  /** GC pauses at least this long (ms) are recorded (0: every one). Default 5. */
  readonly minGcMs?: number;
  /**
   * Which tasks are recorded: every one up to `perSecond` (bursts of `burst`), then one in
   * `oneIn` (1: every task, at about 110 ns a task). Default 2,000 a second, bursts of
   * 1,000, then 1 in 256 (why not more: the README's "Cheap").
   */
  readonly taskSampling?: Partial<TaskSampling>;
}

/** See {@link RecorderOptions.taskSampling}. */
export interface TaskSampling {
  readonly perSecond: number;
  readonly burst: number;
  readonly oneIn: number;
}

/** The recorder's defaults. */
export const RECORDER_DEFAULTS = Object.freeze({
  seconds: 10,
  maxEntries: 4_096,
  maxBytes: 512 * 1024,
  minGcMs: 5,
  taskSampling: Object.freeze({ perSecond: 2_000, burst: 1_000, oneIn: 256 }),
});

/** The recorder's counters and bounds now. */
export interface RecorderStats {
  /** Entries kept now. */
  readonly entries: number;
  /** Their estimated bytes. */
  readonly bytes: number;
  /** Entries dropped since the start to stay within the bounds. */
  readonly dropped: number;
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly windowMs: number;
}

interface Running {
  readonly windowMs: number;
  readonly minGcMs: number;
  readonly notes: EntryRing;
  readonly tally: TaskTally;
  readonly stopEvents: () => void;
  readonly stopGc: () => void;
}

/** Blocks, GC pauses, rejections and calls get this share of the bounds; tasks the rest. */
const NOTES_SHARE = 1 / 8;

/** The task ring, apart: the hot path reads one variable. */
let tasks: EntryRing | undefined;
let tally: TaskTally | undefined;
let running: Running | undefined;
/** The last cancellation reason and its text: a cancelled tree shares one reason. */
let lastReason: unknown;
let lastReasonText = "";
/** The last unhandled rejection recorded, and when, so a fatal one seen twice is kept once. */
let lastRejection: { readonly detail: string; readonly at: number } | undefined;
/** Within this (ms), the same text is the same rejection: debug mode's report of it, then the fatal exit. */
const SAME_REJECTION_MS = 1_000;

/**
 * Start recording. Returns `false` when it was running already (its bounds stay).
 *
 * @throws TypeError naming the option when one is out of range: `seconds` a positive
 *   number, `maxEntries` and `maxBytes` positive integers, `minGcMs` 0 or more.
 */
export function startRecorder(options: RecorderOptions = {}): boolean {
  const checked = checkOptions(options);
  if (running !== undefined) return false;
  const windowMs = checked.seconds * 1_000;
  const notesEntries = Math.max(16, Math.floor(checked.maxEntries * NOTES_SHARE));
  const notesBytes = Math.max(4_096, Math.floor(checked.maxBytes * NOTES_SHARE));
  const notes = new EntryRing({ maxEntries: notesEntries, maxBytes: notesBytes, windowMs });
  const taskRing = new EntryRing({
    maxEntries: Math.max(16, checked.maxEntries - notesEntries),
    maxBytes: Math.max(4_096, checked.maxBytes - notesBytes),
    windowMs,
  });
  const sampling = checked.taskSampling;
  const taskTally = new TaskTally(sampling.perSecond, sampling.burst, sampling.oneIn);
  const stopEvents = onEvent(recordEvent);
  const stopGc = trackGcPauses();
  onGcPause(recordGc);
  running = { windowMs, minGcMs: checked.minGcMs, notes, tally: taskTally, stopEvents, stopGc };
  tally = taskTally;
  tasks = taskRing;
  return true;
}

/** Stop recording and let go of what was kept. */
export function stopRecorder(): void {
  const current = running;
  if (current === undefined) return;
  running = undefined;
  tasks = undefined;
  tally = undefined;
  lastReason = undefined;
  lastRejection = undefined;
  current.stopEvents();
  onGcPause(undefined);
  current.stopGc();
}

/** Whether the recorder runs. */
export function isRecording(): boolean {
  return running !== undefined;
}

/**
 * A task started (the registry's hot path: a count, and for the tasks recorded a few array
 * writes; no allocation). Returns whether the task is recorded: only then are its cancel
 * and end passed on (a task is recorded whole, or not at all; see `TaskTally`).
 *
 * @param perfMs - the task's creation time, `performance.now()`: read once by `spawn`.
 */
export function recordTaskStart(id: number, name: string, perfMs: number): boolean {
  const ring = tasks;
  if (ring === undefined) return false;
  if (!tally!.take(perfMs)) return false;
  ring.push(
    perfMs,
    Kind.TaskStart,
    id,
    name.length > MAX_TEXT ? shortText(name) : name,
    undefined,
    NaN,
  );
  return true;
}

/**
 * A recorded task settled.
 *
 * @param outcome - `done`, `failed`, `cancelled` or `never resumes`: a constant, held as it is.
 */
export function recordTaskEnd(id: number, name: string, outcome: string): void {
  const ring = tasks;
  if (ring === undefined) return;
  ring.push(
    performance.now(),
    Kind.TaskEnd,
    id,
    name.length > MAX_TEXT ? shortText(name) : name,
    outcome,
    NaN,
  );
}

/** A recorded task was asked to cancel, for `reason` (formatted once for a whole cancelled tree). */
export function recordTaskCancel(id: number, name: string, reason: unknown): void {
  const ring = tasks;
  if (ring === undefined) return;
  if (reason !== lastReason || lastReasonText === "") {
    lastReason = reason;
    lastReasonText = errorText(reason);
  }
  ring.push(
    performance.now(),
    Kind.TaskCancel,
    id,
    name.length > MAX_TEXT ? shortText(name) : name,
    lastReasonText,
    NaN,
  );
}

/**
 * A rejection or exception that is about to end the process (`uncaughtExceptionMonitor`):
 * recorded as an unhandled rejection unless debug mode's report of it was just recorded.
 * Exceptions are not entries: the recorder's file says what ended the process.
 */
export function recordFatalRejection(error: unknown): void {
  const current = running;
  if (current === undefined) return;
  const detail = errorText(error);
  const now = performance.now();
  if (lastRejection?.detail === detail && now - lastRejection.at < SAME_REJECTION_MS) return;
  lastRejection = { detail, at: now };
  current.notes.push(now, Kind.UnhandledRejection, 0, undefined, detail, NaN);
}

/**
 * The entries of the window that ends at `until`, bounded by `limits` (the newest kept,
 * blocks, GC pauses, rejections and blocking calls before task entries; `omitted` counts the
 * rest); `undefined` when the recorder is not running.
 *
 * @param until - epoch milliseconds (that millisecond included); default now.
 * @example
 * ```ts
 * const window = recorderWindow(event.endedAt); // what led up to a stall
 * ```
 */
export function recorderWindow(
  until?: number,
  limits: WindowLimits = DEFAULT_WINDOW_LIMITS,
): RecorderWindow | undefined {
  const current = running;
  const taskRing = tasks;
  if (current === undefined || taskRing === undefined) return undefined;
  // Traced GC pauses are read when asked for: take in those up to now.
  collectGcPauses();
  const perfNow = performance.now();
  // Epoch milliseconds of `performance.now()`'s zero, as the wall clock says now: entries
  // keep the monotonic clock, and are dated with today's reading of the wall clock.
  const epochOffset = Date.now() - perfNow;
  // `until` is a whole millisecond, and the offset is read to the millisecond: the window
  // takes all of it, so an entry of that millisecond is never left out.
  const untilPerf = until === undefined ? perfNow : Math.min(until + 1 - epochOffset, perfNow);
  const untilEpoch = until ?? Math.round(perfNow + epochOffset);
  taskRing.expire(perfNow - current.windowMs);
  current.notes.expire(perfNow - current.windowMs);
  const skipped = current.tally.skipped;
  return buildWindow(
    {
      tasks: taskRing,
      notes: current.notes,
      tally: current.tally,
      dropped: taskRing.dropped + current.notes.dropped,
      ...(skipped === 0 ? {} : { taskSampling: { oneIn: current.tally.oneIn, skipped } }),
    },
    {
      fromPerf: untilPerf - current.windowMs,
      untilPerf,
      from: untilEpoch - current.windowMs,
      until: untilEpoch,
      epochOffset,
    },
    limits,
  );
}

/** Every entry the recorder holds now (for the file written at a fatal exit and on request). */
export function wholeRecorderWindow(): RecorderWindow | undefined {
  const current = running;
  const taskRing = tasks;
  if (current === undefined || taskRing === undefined) return undefined;
  return recorderWindow(undefined, {
    maxEntries: taskRing.maxEntries + current.notes.maxEntries,
    maxBytes: Number.MAX_SAFE_INTEGER,
  });
}

/** The recorder's counters and bounds, or `undefined` when it is not running. */
export function recorderStats(): RecorderStats | undefined {
  const current = running;
  const taskRing = tasks;
  if (current === undefined || taskRing === undefined) return undefined;
  const notes = current.notes;
  return {
    entries: taskRing.size + notes.size,
    bytes: taskRing.bytes + notes.bytes,
    dropped: taskRing.dropped + notes.dropped,
    maxEntries: taskRing.maxEntries + notes.maxEntries,
    maxBytes: taskRing.maxBytes + notes.maxBytes,
    windowMs: current.windowMs,
  };
}

/** The event stream's reports that belong in the recorder. Never throws (the stream guards too). */
function recordEvent(event: LoopscopeEvent): void {
  const current = running;
  if (current === undefined) return;
  switch (event.type) {
    case "loop-blocked": {
      const cause = typeof event.cause === "string" ? event.cause : "unknown";
      const detail = event.count > 1 ? `${cause} ×${event.count}` : cause;
      note(
        current,
        event.endedAt ?? event.time,
        Kind.LoopBlocked,
        event.task,
        detail,
        event.durationMs,
      );
      break;
    }
    case "unhandled-rejection":
    case "task-exception-never-retrieved": {
      const { name, message } = event.error;
      const detail = shortText(message === "" ? name : `${name}: ${message}`);
      lastRejection = { detail, at: performance.now() };
      note(current, event.time, Kind.UnhandledRejection, event.task, detail, NaN);
      break;
    }
    case "blocking-call":
      note(
        current,
        event.time,
        Kind.BlockingCall,
        event.task,
        shortText(event.call),
        event.durationMs,
      );
      break;
    default:
      break;
  }
}

/** Record an event's entry, its epoch time brought onto the recorder's clock. */
function note(
  current: Running,
  epochMs: number,
  kind: Kind,
  task: TaskRef | undefined,
  detail: string,
  durationMs: number,
): void {
  const perfNow = performance.now();
  const time = Math.min(perfNow, perfNow - (Date.now() - epochMs));
  const name = task === undefined ? undefined : shortText(task.name);
  current.notes.push(time, kind, task?.id ?? 0, name, detail, durationMs);
}

function recordGc(startMs: number, durationMs: number, kind: string): void {
  const current = running;
  if (current === undefined || durationMs < current.minGcMs) return;
  current.notes.push(startMs + durationMs, Kind.Gc, 0, undefined, kind, durationMs);
}

function checkOptions(
  options: RecorderOptions,
): Required<Omit<RecorderOptions, "taskSampling">> & { readonly taskSampling: TaskSampling } {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`startRecorder: options must be an object, got ${String(options)}`);
  }
  const checked = {
    ...RECORDER_DEFAULTS,
    ...options,
    taskSampling: { ...RECORDER_DEFAULTS.taskSampling, ...options.taskSampling },
  };
  const { seconds, minGcMs } = checked;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new TypeError(`startRecorder: seconds must be a positive number, got ${String(seconds)}`);
  }
  if (typeof minGcMs !== "number" || !Number.isFinite(minGcMs) || minGcMs < 0) {
    throw new TypeError(
      `startRecorder: minGcMs must be a number of milliseconds, 0 or more, got ${String(minGcMs)}`,
    );
  }
  const sampling = checked.taskSampling;
  if (
    typeof sampling !== "object" ||
    sampling === null ||
    !(Number.isFinite(sampling.perSecond) && sampling.perSecond >= 0) ||
    !(sampling.burst >= 1) ||
    !Number.isSafeInteger(sampling.oneIn) ||
    sampling.oneIn < 1
  ) {
    throw new TypeError(
      "startRecorder: taskSampling must be { perSecond: a finite number, 0 or more, burst: 1 or more, oneIn: a positive integer }",
    );
  }
  for (const key of ["maxEntries", "maxBytes"] as const) {
    const value = checked[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new TypeError(`startRecorder: ${key} must be a positive integer, got ${String(value)}`);
    }
  }
  return checked;
}
