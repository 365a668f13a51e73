import { resolveStack } from "../report/index.js";
import type { Frame, TaskRef } from "../report/types.js";
import { promiseCreation } from "./debug-hooks.js";
import type { Task } from "./task.js";
import { TaskImpl, taskOfPromise } from "./task.js";

/**
 * Lookups debug mode's failure reports need (src/debug/): which task a rejected promise
 * belongs to, and where a promise was created. Debug mode only (the maps stay empty
 * otherwise). Added by the debug-mode helper.
 */

/** The task whose `promise` this is, as events refer to it; `undefined` when it is no task's. */
export function taskRefOfPromise(promise: object): TaskRef | undefined {
  const task = taskOfPromise.get(promise);
  return task === undefined ? undefined : refOf(task);
}

/** A task as events refer to it: id, name and creation frames (empty when sampled out). */
export function taskRef(task: Task): TaskRef {
  if (!(task instanceof TaskImpl)) return { id: task.id, name: task.name, createdAt: [] };
  return refOf(task);
}

function refOf(task: TaskImpl): TaskRef {
  return {
    id: task.id,
    name: task.name,
    createdAt: task.creation === undefined ? [] : resolveStack(task.creation),
  };
}

/**
 * Where a promise with no parent (an async function call, `new Promise`) was created,
 * innermost first, if its creation was captured (sampled under load).
 */
export function promiseCreationFrames(promise: object): readonly Frame[] | undefined {
  const raw = promiseCreation.get(promise);
  return raw === undefined ? undefined : resolveStack(raw);
}
