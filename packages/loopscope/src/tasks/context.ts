import type { TaskImpl } from "./task.js";

/**
 * The task whose code runs now. Production mode knows it during the synchronous
 * first step of a task (while `spawn` calls its function); debug mode's promise
 * hooks carry it across every `await`. A plain variable: reading it is free.
 */
export const context: {
  current: TaskImpl | undefined;
  /** Debug tracking is on. */
  debug: boolean;
  /** loopscope's own promise bookkeeping runs now: debug hooks skip it. */
  quiet: boolean;
  /** Debug mode: `performance.now()` when `current` started running (its busy time counts from here). */
  runningSinceMs: number;
} = { current: undefined, debug: false, quiet: false, runningSinceMs: 0 };

/**
 * Debug mode: make `next` the running task, charging the time since the last switch to
 * the task that ran until now. Time is charged to one task at a time (a child spawned
 * inside its parent's step takes its first step's time out of the parent's), and the
 * clock is read only when a task is involved, so code outside tasks pays nothing more.
 *
 * @param clockMs - `performance.now()`, if the caller read it just now.
 */
export function switchTask(next: TaskImpl | undefined, clockMs?: number): void {
  const previous = context.current;
  if (previous === next) return;
  const nowMs = clockMs ?? performance.now();
  if (previous !== undefined) previous.busyMs += nowMs - context.runningSinceMs;
  context.runningSinceMs = nowMs;
  context.current = next;
}
