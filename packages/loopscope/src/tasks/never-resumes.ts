import { emit } from "../events/index.js";
import { resolveStack } from "../stacks/index.js";
import type { Awaiting, TaskRef } from "../protocol/index.js";
import { PROTOCOL_VERSION } from "../protocol/index.js";
import { resolveAwaits } from "./await-view.js";
import { context } from "./context.js";
import { forgetAwaitsOf } from "./debug-hooks.js";
import { keepLost } from "./lost-tasks.js";
import type { TaskImpl } from "./task.js";
import { Outcome, lifecycle, registry } from "./task.js";

/**
 * A task that can never resume: its function's promise was garbage-collected while
 * the task was pending. Resolving functions hold their promise strongly, so if the
 * promise is gone, nothing can settle it any more — the task waits on something
 * nobody holds (tokio-console's lost waker, Go's leaked goroutine).
 *
 * Young tasks keep their promise strongly (most finish within a second and cost only a
 * field); once a second, tasks still pending hand it to a FinalizationRegistry and drop
 * the strong reference.
 */

/** How often pending tasks are handed over to the FinalizationRegistry. */
const WATCH_INTERVAL_MS = 1000;

const finalizer = new FinalizationRegistry<TaskImpl>(reportLost);
let timer: NodeJS.Timeout | undefined;

lifecycle.onPending = () => {
  if (timer !== undefined) return;
  timer = setInterval(watchPendingTasks, WATCH_INTERVAL_MS);
  // loopscope never keeps the process alive.
  timer.unref();
  lifecycle.watching = true;
};

/**
 * Hand every pending task's promise to the FinalizationRegistry now. Runs every
 * second on its own; tests call it before forcing a garbage collection.
 */
export function watchPendingTasks(): void {
  try {
    // A task handed over already has no `inner` any more.
    for (const task of registry.toArray()) {
      if (task.inner === undefined) continue;
      finalizer.register(task.inner, task, task);
      task.inner = undefined;
    }
    if (registry.size === 0) stopWatchingTasks();
  } catch {
    // Never throw into the application's timers.
  }
}

function reportLost(task: TaskImpl): void {
  try {
    if (task.state !== "pending" && task.state !== "running") return;
    const nowMs = performance.now();
    let awaited: Awaiting | undefined;
    if (context.debug) {
      awaited = resolveAwaits(nowMs).byTask.get(task)?.awaiting;
      forgetAwaitsOf(task);
    }
    const stack = awaited?.at ?? [];
    const ref: TaskRef = {
      id: task.id,
      name: task.name,
      createdAt: task.creation === undefined ? [] : resolveStack(task.creation),
    };
    keepLost({
      id: task.id,
      name: task.name,
      parentId: task.parent?.id,
      createdMs: task.createdMs,
      createdAt: ref.createdAt,
      awaiting:
        awaited === undefined
          ? undefined
          : {
              kind: awaited.kind,
              // The awaited promise is gone, and with it what it was: say what is known.
              what:
                awaited.what === "unknown" ? "a promise nothing can settle any more" : awaited.what,
              at: awaited.at,
              startedMs: nowMs - awaited.sinceMs,
            },
      busyMs: context.debug ? task.busyMs : undefined,
      steps: context.debug ? task.steps : undefined,
    });
    task.finish(Outcome.Lost);
    emit({
      type: "task-never-resumes",
      protocol: PROTOCOL_VERSION,
      time: Date.now(),
      pid: process.pid,
      task: ref,
      stack,
    });
  } catch {
    // A FinalizationRegistry callback must not throw into the application.
  }
}

/** Stop watching (tests, and turning loopscope off). Pending tasks stay registered. */
export function stopWatchingTasks(): void {
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
  lifecycle.watching = false;
}
