import type { FinishedTask } from "../protocol/index.js";
import type { RawStack } from "../stacks/index.js";
import { errorInfo, resolveStack, withFrameCache } from "../stacks/index.js";
import type { TaskImpl } from "./task.js";
import { Outcome, lifecycle } from "./task.js";

/** How the history is bounded: by count and by age, whichever drops a task first. */
export interface HistoryLimits {
  /** Finished tasks kept, most recent. Default 1,000. */
  readonly maxCount: number;
  /** A finished task older than this (since it ended) is dropped. Default ten minutes. */
  readonly maxAgeMs: number;
}

const DEFAULT_LIMITS: HistoryLimits = { maxCount: 1_000, maxAgeMs: 10 * 60_000 };

/** A finished task as kept, read back from the ring when asked: raw, so a task that nobody asks about costs no formatting. */
interface KeptTask {
  readonly id: number;
  readonly name: string;
  readonly parentId: number | undefined;
  readonly createdMs: number;
  readonly endedMs: number;
  readonly outcome: "done" | "failed" | "cancelled";
  /** The error it failed with, or the reason it was cancelled for. */
  readonly cause: unknown;
  readonly creation: RawStack | undefined;
}

/**
 * The recently finished tasks, in a ring of columns: fixed arrays written in turn, so
 * recording a task allocates nothing (Mayhem settles 100,000 tasks a second; an object
 * each was most of the inspector's cost on its main thread), and memory stays bounded
 * whatever the rate. Kept only while someone (the inspector) wants it: off, a settling
 * task pays one property read.
 */
class FinishedHistory {
  readonly #limits: HistoryLimits;
  readonly #capacity: number;
  readonly #ids: Float64Array;
  /** -1: no parent. */
  readonly #parentIds: Float64Array;
  readonly #createdMs: Float64Array;
  readonly #endedMs: Float64Array;
  readonly #outcomes: Uint8Array;
  readonly #names: (string | undefined)[];
  /** The error it failed with, or the reason it was cancelled for. */
  readonly #causes: unknown[];
  readonly #creations: (RawStack | undefined)[];
  #next = 0;
  #size = 0;
  #dropped = 0;

  constructor(limits: HistoryLimits) {
    this.#limits = limits;
    const capacity = limits.maxCount;
    this.#capacity = capacity;
    this.#ids = new Float64Array(capacity);
    this.#parentIds = new Float64Array(capacity);
    this.#createdMs = new Float64Array(capacity);
    this.#endedMs = new Float64Array(capacity);
    this.#outcomes = new Uint8Array(capacity);
    this.#names = new Array<string | undefined>(capacity).fill(undefined);
    this.#causes = new Array<unknown>(capacity).fill(undefined);
    this.#creations = new Array<RawStack | undefined>(capacity).fill(undefined);
  }

  record(task: TaskImpl, outcome: (typeof Outcome)[keyof typeof Outcome], cause: unknown): void {
    if (outcome === Outcome.Lost) return;
    if (this.#size === this.#capacity) this.#dropped++;
    else this.#size++;
    const slot = this.#next;
    this.#ids[slot] = task.id;
    this.#parentIds[slot] = task.parent === undefined ? -1 : task.parent.id;
    this.#createdMs[slot] = task.createdMs;
    this.#endedMs[slot] = performance.now();
    this.#outcomes[slot] = outcome;
    this.#names[slot] = task.name;
    // A cancelled task rejects with whatever its awaits threw (often a generic AbortError):
    // the reason it was cancelled for is what a reader wants.
    this.#causes[slot] =
      outcome === Outcome.Done
        ? undefined
        : outcome === Outcome.Cancelled
          ? (task.cancelReason ?? cause)
          : cause;
    this.#creations[slot] = task.creation;
    this.#next = slot + 1 === this.#capacity ? 0 : slot + 1;
  }

  /** The most recent first, at most `limit`, as plain data; drops what is older than the age bound. */
  list(limit: number): { tasks: FinishedTask[]; dropped: number } {
    this.#dropOlderThan(performance.now() - this.#limits.maxAgeMs);
    const records: KeptTask[] = [];
    for (let i = 1; i <= this.#size && records.length < limit; i++) {
      records.push(this.#recordAt((this.#next - i + this.#capacity) % this.#capacity));
    }
    const origin = performance.timeOrigin;
    const tasks = withFrameCache(() => records.map((record) => describe(record, origin)));
    return { tasks, dropped: this.#dropped };
  }

  #recordAt(slot: number): KeptTask {
    const outcome = this.#outcomes[slot];
    const parentId = this.#parentIds[slot]!;
    return {
      id: this.#ids[slot]!,
      name: this.#names[slot] ?? "",
      parentId: parentId === -1 ? undefined : parentId,
      createdMs: this.#createdMs[slot]!,
      endedMs: this.#endedMs[slot]!,
      outcome:
        outcome === Outcome.Done ? "done" : outcome === Outcome.Failed ? "failed" : "cancelled",
      cause: this.#causes[slot],
      creation: this.#creations[slot],
    };
  }

  /** The oldest records sit just past the newest: clear them while they are too old. */
  #dropOlderThan(oldestEndMs: number): void {
    while (this.#size > 0) {
      const oldest = (this.#next - this.#size + this.#capacity) % this.#capacity;
      if (this.#endedMs[oldest]! >= oldestEndMs) return;
      // Let go of what the slot holds: the error, the stack, the name.
      this.#names[oldest] = undefined;
      this.#causes[oldest] = undefined;
      this.#creations[oldest] = undefined;
      this.#size--;
      this.#dropped++;
    }
  }
}

function describe(record: KeptTask, origin: number): FinishedTask {
  const task: {
    -readonly [K in keyof FinishedTask]: FinishedTask[K];
  } = {
    id: record.id,
    name: record.name,
    outcome: record.outcome,
    createdAt: Math.round(origin + record.createdMs),
    endedAt: Math.round(origin + record.endedMs),
    durationMs: Math.round((record.endedMs - record.createdMs) * 10) / 10,
    createdAtFrames: record.creation === undefined ? [] : resolveStack(record.creation),
  };
  if (record.parentId !== undefined) task.parentId = record.parentId;
  if (record.outcome === "failed") task.error = errorInfo(record.cause);
  if (record.outcome === "cancelled") task.reason = reasonText(record.cause);
  return task;
}

function reasonText(reason: unknown): string {
  try {
    if (reason instanceof Error) return `${reason.name}: ${reason.message}`;
    return typeof reason === "string" ? reason : String(reason);
  } catch {
    return "(a reason that cannot be shown)";
  }
}

let history: FinishedHistory | undefined;

/**
 * Keep a history of finished tasks from now on (the inspector does, while it runs).
 * A second call keeps the first history. Returns the function that stops keeping it.
 *
 * @throws TypeError naming the limit when one is not a positive integer.
 */
export function keepFinishedTasks(limits: Partial<HistoryLimits> = {}): () => void {
  const checked = { ...DEFAULT_LIMITS, ...limits };
  for (const [name, value] of Object.entries(checked)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new TypeError(
        `keepFinishedTasks: ${name} must be a positive integer, got ${String(value)}`,
      );
    }
  }
  if (history === undefined) {
    const kept = new FinishedHistory(checked);
    history = kept;
    lifecycle.onFinished = (task, outcome, cause) => kept.record(task, outcome, cause);
  }
  const mine = history;
  return () => {
    if (history !== mine) return;
    history = undefined;
    lifecycle.onFinished = undefined;
  };
}

/** The finished tasks kept, the most recent first (at most `limit`), and how many were dropped. */
export function finishedTasks(limit = 100): { tasks: FinishedTask[]; dropped: number } {
  return history?.list(limit) ?? { tasks: [], dropped: 0 };
}
