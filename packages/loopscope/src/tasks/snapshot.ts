import { resolveStack } from "../report/index.js";
import type { Frame, TaskDumpEvent, TaskSnapshot } from "../report/types.js";
import type { AwaitView, ResolvedAwait } from "./await-view.js";
import { resolveAwaits } from "./await-view.js";
import { context } from "./context.js";
import { awaitSampler, debugStats } from "./debug-hooks.js";
import type { TaskImpl } from "./task.js";
import { creationSampler, debugCreationSampler, registry } from "./task.js";

const NO_FRAMES: readonly Frame[] = Object.freeze([]);

/**
 * Every pending task as plain data: the `task-dump` event (DESIGN.md, "Contracts").
 * In debug mode each task says what it awaits and since when, and async function calls
 * outside any task are listed too (with id 0). Stacks are resolved here, lazily, once
 * each. Never throws for the application's sake: a broken stack reads as no frames.
 */
export function snapshotTasks(): TaskDumpEvent {
  const nowMs = performance.now();
  const view: AwaitView | undefined = context.debug ? resolveAwaits(nowMs) : undefined;
  const tasks: TaskSnapshot[] = [];
  let unsampled = 0;
  for (const task of registry.toArray()) {
    if (task.creation === undefined) unsampled++;
    tasks.push(snapshotOf(task, nowMs, view?.byTask.get(task)));
  }
  if (view !== undefined) {
    for (const call of view.untracked) tasks.push(untrackedCall(call, nowMs));
  }
  const dump: {
    -readonly [K in keyof TaskDumpEvent]: TaskDumpEvent[K];
  } = {
    type: "task-dump",
    time: Date.now(),
    pid: process.pid,
    mode: context.debug ? "debug" : "production",
    tasks,
    resources: countResources(),
  };
  if (unsampled > 0) dump.unsampled = unsampled;
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
    // A dump taken inside a task's step: the step so far is busy time too.
    const busyMs = task.busyMs + (context.current === task ? nowMs - context.runningSinceMs : 0);
    snapshot.busyMs = busyMs;
    snapshot.idleMs = Math.max(0, snapshot.ageMs - busyMs);
    snapshot.steps = task.steps;
  }
  return snapshot;
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
  return at.length > 0 && at.every(notTheApplications) ? { ...snapshot, internal: true } : snapshot;
}

function notTheApplications(frame: Frame): boolean {
  return frame.internal === true || frame.loopscope === true;
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
