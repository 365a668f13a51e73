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

/** What is kept of a finished task until asked: raw, so a task that nobody asks about costs no formatting. */
interface Record {
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
 * The recently finished tasks, in a ring: a fixed array written in turn, so recording one
 * is a few writes and memory stays bounded whatever the rate. Kept only while someone
 * (the inspector) wants it: off, a settling task pays one property read.
 */
class FinishedHistory {
  readonly #limits: HistoryLimits;
  readonly #ring: (Record | undefined)[];
  #next = 0;
  #size = 0;
  #dropped = 0;

  constructor(limits: HistoryLimits) {
    this.#limits = limits;
    this.#ring = new Array<Record | undefined>(limits.maxCount).fill(undefined);
  }

  record(task: TaskImpl, outcome: (typeof Outcome)[keyof typeof Outcome], cause: unknown): void {
    if (outcome === Outcome.Lost) return;
    if (this.#size === this.#ring.length) this.#dropped++;
    else this.#size++;
    this.#ring[this.#next] = {
      id: task.id,
      name: task.name,
      parentId: task.parent?.id,
      createdMs: task.createdMs,
      endedMs: performance.now(),
      outcome:
        outcome === Outcome.Done ? "done" : outcome === Outcome.Failed ? "failed" : "cancelled",
      // A cancelled task rejects with whatever its awaits threw (often a generic AbortError):
      // the reason it was cancelled for is what a reader wants.
      cause:
        outcome === Outcome.Done
          ? undefined
          : outcome === Outcome.Cancelled
            ? (task.cancelReason ?? cause)
            : cause,
      creation: task.creation,
    };
    this.#next = (this.#next + 1) % this.#ring.length;
  }

  /** The most recent first, at most `limit`, as plain data; drops what is older than the age bound. */
  list(limit: number): { tasks: FinishedTask[]; dropped: number } {
    const nowMs = performance.now();
    this.#dropOlderThan(nowMs - this.#limits.maxAgeMs);
    const records: Record[] = [];
    for (let i = 1; i <= this.#size && records.length < limit; i++) {
      const record = this.#ring[(this.#next - i + this.#ring.length) % this.#ring.length];
      if (record !== undefined) records.push(record);
    }
    const origin = performance.timeOrigin;
    const tasks = withFrameCache(() => records.map((record) => describe(record, origin)));
    return { tasks, dropped: this.#dropped };
  }

  /** The oldest records sit just past the newest: clear them while they are too old. */
  #dropOlderThan(oldestEndMs: number): void {
    while (this.#size > 0) {
      const oldest = (this.#next - this.#size + this.#ring.length) % this.#ring.length;
      const record = this.#ring[oldest];
      if (record !== undefined && record.endedMs >= oldestEndMs) return;
      this.#ring[oldest] = undefined;
      this.#size--;
      this.#dropped++;
    }
  }
}

function describe(record: Record, origin: number): FinishedTask {
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
