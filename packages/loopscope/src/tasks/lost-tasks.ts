import type { AwaitKind, Awaiting, Frame, TaskSnapshot } from "../protocol/index.js";

/**
 * The tasks found never to resume, kept for the dumps that follow: frozen as they were
 * when found (their task objects are gone from the registry), aged at each dump.
 */

/**
 * How many lost tasks later dumps keep showing. A lost task never settles, as a leaked
 * goroutine stays in Go's dumps; but a leak in a loop would grow without end, so the
 * oldest beyond this bound are only counted.
 */
export const LOST_TASKS_KEPT = 1000;

/** What a dump shows of a lost task: frozen when it was found, aged at each dump. */
export interface LostTask {
  readonly id: number;
  readonly name: string;
  readonly parentId: number | undefined;
  readonly createdMs: number;
  readonly createdAt: readonly Frame[];
  /** Debug mode: the await it is stuck on, and when it began (a `performance.now()` time). */
  readonly awaiting:
    | {
        readonly kind: AwaitKind;
        readonly what: string;
        readonly at: readonly Frame[];
        readonly startedMs: number;
      }
    | undefined;
  readonly busyMs: number | undefined;
  readonly steps: number | undefined;
}

const lostTasks: LostTask[] = [];
let lostNotKept = 0;

/**
 * The lost tasks a dump lists after the pending ones: their state stays `pending`
 * (they will never be anything else), marked `neverResumes`.
 */
export function lostTaskSnapshots(nowMs: number): TaskSnapshot[] {
  return lostTasks.map((lost) => {
    const ageMs = nowMs - lost.createdMs;
    const snapshot: { -readonly [K in keyof TaskSnapshot]: TaskSnapshot[K] } = {
      id: lost.id,
      name: lost.name,
      state: "pending",
      ageMs,
      createdAt: lost.createdAt,
      neverResumes: true,
    };
    if (lost.parentId !== undefined) snapshot.parentId = lost.parentId;
    if (lost.awaiting !== undefined) {
      const { kind, what, at, startedMs } = lost.awaiting;
      const awaiting: Awaiting = { kind, what, at, sinceMs: nowMs - startedMs };
      snapshot.awaiting = awaiting;
    }
    if (lost.busyMs !== undefined) {
      snapshot.busyMs = lost.busyMs;
      snapshot.idleMs = Math.max(0, ageMs - lost.busyMs);
      snapshot.steps = lost.steps ?? 0;
    }
    return snapshot;
  });
}

/** Lost tasks found beyond {@link LOST_TASKS_KEPT}: counted, no longer listed. */
export function lostTasksNotKept(): number {
  return lostNotKept;
}

/** Keep a task just found lost for later dumps (by `never-resumes.ts`). */
export function keepLost(lost: LostTask): void {
  if (lostTasks.length >= LOST_TASKS_KEPT) {
    lostTasks.shift();
    lostNotKept++;
  }
  lostTasks.push(lost);
}
