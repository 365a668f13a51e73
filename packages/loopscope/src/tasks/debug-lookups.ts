import { resolveStack } from "../stacks/index.js";
import type { Frame, TaskRef } from "../protocol/index.js";
import { contextTaskOf, creationOf, ownerTaskOf } from "./promise-tags.js";
import type { Task } from "./task.js";
import { currentTask, TaskImpl } from "./task.js";

/**
 * Lookups debug mode's failure reports need (src/debug/): which task a rejected promise
 * belongs to, and where a promise was created. Debug mode only (the maps stay empty
 * otherwise). Added by the debug-mode helper.
 */

/** The task whose `promise` this is, as events refer to it; `undefined` when it is no task's. */
export function taskRefOfPromise(promise: object): TaskRef | undefined {
  const task = ownerTaskOf(promise);
  return task === undefined ? undefined : refOf(task);
}

/**
 * The task that was running when this promise was created (debug mode), as events refer
 * to it: an unhandled rejection's context even when its creation frames were sampled out.
 */
export function contextTaskRefOfPromise(promise: object): TaskRef | undefined {
  const task = contextTaskOf(promise);
  return task === undefined ? undefined : refOf(task);
}

/**
 * A task as events refer to it: id, name and creation frames; when those were sampled
 * out, the nearest ancestor's (`ancestorCreatedAt`).
 */
export function taskRef(task: Task): TaskRef {
  if (!(task instanceof TaskImpl)) return { id: task.id, name: task.name, createdAt: [] };
  return refOf(task);
}

/** The task running now, as events refer to it; `undefined` outside any task. */
export function currentTaskRef(): TaskRef | undefined {
  const task = currentTask();
  return task === undefined ? undefined : taskRef(task);
}

function refOf(task: TaskImpl): TaskRef {
  if (task.creation !== undefined) {
    return { id: task.id, name: task.name, createdAt: resolveStack(task.creation) };
  }
  // Sampled out: the nearest ancestor whose creation was captured is the closest context.
  let generations = 1;
  for (let ancestor = task.parent; ancestor !== undefined; ancestor = ancestor.parent) {
    if (ancestor.creation !== undefined) {
      const createdAt = resolveStack(ancestor.creation);
      return {
        id: task.id,
        name: task.name,
        createdAt: [],
        ancestorCreatedAt: { id: ancestor.id, name: ancestor.name, generations, createdAt },
      };
    }
    generations++;
  }
  return { id: task.id, name: task.name, createdAt: [] };
}

/**
 * Where a promise with no parent (an async function call, `new Promise`) was created,
 * innermost first, if its creation was captured (sampled under load).
 */
export function promiseCreationFrames(promise: object): readonly Frame[] | undefined {
  const raw = creationOf(promise);
  return raw === undefined ? undefined : resolveStack(raw);
}
