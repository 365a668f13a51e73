import { resolveStack } from "../stacks/index.js";
import { withFrameCache } from "../stacks/index.js";
import type { Frame, TaskDumpEvent, TaskSnapshot, TaskState } from "../protocol/index.js";
import { isApplicationFrame, PROTOCOL_VERSION } from "../protocol/index.js";
import type { AwaitView, ResolvedAwait } from "./await-view.js";
import { resolveAwaits } from "./await-view.js";
import { context } from "./context.js";
import { awaitSampler, debugStats } from "./debug-hooks.js";
import type { TaskImpl } from "./task.js";
import { lostTaskSnapshots, lostTasksNotKept } from "./lost-tasks.js";
import { creationSampler, debugCreationSampler, registry } from "./task.js";

const NO_FRAMES: readonly Frame[] = Object.freeze([]);

/**
 * Every pending task as plain data: the `task-dump` event (DESIGN.md, "Contracts").
 * In debug mode each task says what it awaits and since when, and async function calls
 * outside any task are listed too (with id 0). Tasks found never to resume follow the
 * pending ones, marked `neverResumes`. Stacks are resolved here, lazily, once
 * each. Never throws for the application's sake: a broken stack reads as no frames.
 */
export function snapshotTasks(): TaskDumpEvent {
  return withFrameCache(snapshotNow);
}

function snapshotNow(): TaskDumpEvent {
  const nowMs = performance.now();
  const view: AwaitView | undefined = context.debug ? resolveAwaits(nowMs) : undefined;
  const pending = registry.toArray();
  const tasks: TaskSnapshot[] = new Array<TaskSnapshot>(pending.length);
  let unsampled = 0;
  const byTask = view?.byTask;
  for (let i = 0; i < pending.length; i++) {
    const task = pending[i]!;
    if (task.creation === undefined) unsampled++;
    tasks[i] =
      byTask === undefined
        ? snapshotOf(task, nowMs, undefined)
        : debugSnapshotOf(task, nowMs, byTask.get(task));
  }
  for (const lost of lostTaskSnapshots(nowMs)) tasks.push(lost);
  if (view !== undefined) {
    for (const call of view.untracked) tasks.push(untrackedCall(call, nowMs));
  }
  const dump: {
    -readonly [K in keyof TaskDumpEvent]: TaskDumpEvent[K];
  } = {
    type: "task-dump",
    protocol: PROTOCOL_VERSION,
    time: Date.now(),
    pid: process.pid,
    mode: context.debug ? "debug" : "production",
    tasks,
    resources: countResources(),
  };
  if (unsampled > 0) dump.unsampled = unsampled;
  const notListed = lostTasksNotKept();
  if (notListed > 0) dump.neverResumesNotListed = notListed;
  const creation = context.debug ? debugCreationSampler : creationSampler;
  dump.sampling = {
    creationOneIn: creation.oneIn,
    creationSkipped: creation.skipped,
    ...(context.debug
      ? {
          awaitOneIn: awaitSampler.oneIn,
          awaitSkipped: awaitSampler.skipped,
          awaitsDropped: debugStats.droppedAwaits,
        }
      : {}),
  };
  return dump;
}

/** What a query reads of a task before any snapshot of it is built. */
export interface TaskFields {
  readonly name: string;
  readonly state: TaskState;
  readonly ageMs: number;
  /** The creation frames, resolved when read. */
  readonly createdAt: readonly Frame[];
}

/** {@link firstTasks}' answer. */
export interface FirstTasks {
  /** `Date.now()` when taken, as a dump's `time`. */
  readonly time: number;
  readonly mode: "production" | "debug";
  /** Pending and never-resuming tasks: the dump's tasks but debug mode's calls outside any task. */
  readonly total: number;
  /** How many of them `keep` accepted. */
  readonly matched: number;
  /** The first `limit` of them, in the dump's order, as the dump shows them. */
  readonly tasks: TaskSnapshot[];
  /** Pending tasks whose creation frames were sampled out, as the dump's `unsampled` (0 for none). */
  readonly unsampled: number;
}

/**
 * The first `limit` tasks of the dump that `keep` accepts, and how many it accepts: what
 * filtering {@link snapshotTasks}' tasks (without debug mode's calls outside any task)
 * and keeping the first `limit` gives, the same snapshots, but built only for those
 * `limit`: `keep` reads each pending task through one reused view of its fields, so a
 * query over 100,000 tasks allocates nothing per task it does not send.
 */
export function firstTasks(keep: (task: TaskFields) => boolean, limit: number): FirstTasks {
  return withFrameCache(() => firstTasksNow(keep, limit));
}

/** A pending task's fields, read on demand; moved from task to task. */
class PendingFields implements TaskFields {
  task: TaskImpl | undefined = undefined;
  constructor(readonly nowMs: number) {}
  get name(): string {
    return this.task!.name;
  }
  get state(): TaskState {
    return this.task!.state;
  }
  get ageMs(): number {
    return this.nowMs - this.task!.createdMs;
  }
  get createdAt(): readonly Frame[] {
    const creation = this.task!.creation;
    return creation === undefined ? NO_FRAMES : resolveStack(creation);
  }
}

function firstTasksNow(keep: (task: TaskFields) => boolean, limit: number): FirstTasks {
  const nowMs = performance.now();
  const byTask = context.debug ? resolveAwaits(nowMs).byTask : undefined;
  const pending = registry.toArray();
  const fields = new PendingFields(nowMs);
  const tasks: TaskSnapshot[] = [];
  let matched = 0;
  let unsampled = 0;
  for (let i = 0; i < pending.length; i++) {
    const task = pending[i]!;
    if (task.creation === undefined) unsampled++;
    fields.task = task;
    if (!keep(fields)) continue;
    matched++;
    if (tasks.length < limit) {
      tasks.push(
        byTask === undefined
          ? snapshotOf(task, nowMs, undefined)
          : debugSnapshotOf(task, nowMs, byTask.get(task)),
      );
    }
  }
  const lost = lostTaskSnapshots(nowMs);
  for (const task of lost) {
    if (!keep(task)) continue;
    matched++;
    if (tasks.length < limit) tasks.push(task);
  }
  return {
    time: Date.now(),
    mode: context.debug ? "debug" : "production",
    total: pending.length + lost.length,
    matched,
    tasks,
    unsampled,
  };
}

/**
 * Debug mode's snapshot, built in one literal for the usual cases (no parent, no
 * cancellation): one allocation of its final shape instead of a growing object, for
 * dumps of 100,000 tasks. The fields come in the same order as {@link snapshotOf}
 * (the one general builder) adds them; the two literals differ by `awaiting` only.
 */
function debugSnapshotOf(
  task: TaskImpl,
  nowMs: number,
  awaited: ResolvedAwait | undefined,
): TaskSnapshot {
  if (task.parent !== undefined || task.cancelRequested) return snapshotOf(task, nowMs, awaited);
  const ageMs = nowMs - task.createdMs;
  const busyMs = busyMsOf(task, nowMs);
  const createdAt = task.creation === undefined ? NO_FRAMES : resolveStack(task.creation);
  if (awaited === undefined) {
    return {
      id: task.id,
      name: task.name,
      state: task.state,
      ageMs,
      createdAt,
      busyMs,
      idleMs: Math.max(0, ageMs - busyMs),
      steps: task.steps,
    };
  }
  return {
    id: task.id,
    name: task.name,
    state: task.state,
    ageMs,
    createdAt,
    awaiting: awaited.awaiting,
    busyMs,
    idleMs: Math.max(0, ageMs - busyMs),
    steps: task.steps,
  };
}

function snapshotOf(
  task: TaskImpl,
  nowMs: number,
  awaited: ResolvedAwait | undefined,
): TaskSnapshot {
  const snapshot: { -readonly [K in keyof TaskSnapshot]: TaskSnapshot[K] } = {
    id: task.id,
    name: task.name,
    state: task.state,
    ageMs: nowMs - task.createdMs,
    createdAt: task.creation === undefined ? NO_FRAMES : resolveStack(task.creation),
  };
  if (task.parent !== undefined) snapshot.parentId = task.parent.id;
  if (awaited !== undefined) snapshot.awaiting = awaited.awaiting;
  if (task.cancelRequested) snapshot.cancelRequested = true;
  if (context.debug) {
    const busyMs = busyMsOf(task, nowMs);
    snapshot.busyMs = busyMs;
    snapshot.idleMs = Math.max(0, snapshot.ageMs - busyMs);
    snapshot.steps = task.steps;
  }
  return snapshot;
}

/** Debug mode: the task's time on the loop; a dump taken inside its step counts the step so far. */
function busyMsOf(task: TaskImpl, nowMs: number): number {
  return task.busyMs + (context.current === task ? nowMs - context.runningSinceMs : 0);
}

/**
 * An async call outside any task (debug mode): named after its function, id 0. Marked
 * `internal` when every frame it has is Node's own or loopscope's (module loading, for
 * one): the application did not make it, so the text dump folds it into one line.
 */
function untrackedCall(call: ResolvedAwait, nowMs: number): TaskSnapshot {
  const at = call.awaiting.at;
  const top = at[0];
  const snapshot: TaskSnapshot = {
    id: 0,
    name: `async ${top?.fn ?? "<anonymous>"}`,
    state: "pending",
    ageMs: nowMs - call.record.sinceMs,
    createdAt: NO_FRAMES,
    awaiting: call.awaiting,
  };
  return at.length > 0 && !at.some(isApplicationFrame) ? { ...snapshot, internal: true } : snapshot;
}

/** Node's active handles and requests by kind (`process.getActiveResourcesInfo()`). */
function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  try {
    for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  } catch {
    // Not available: the dump simply has no resources.
  }
  return counts;
}
