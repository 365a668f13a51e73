import type { TaskRef } from "../report/index.js";
import { currentTask, pendingTaskCount as tasksPending, taskRef } from "../tasks/index.js";

/** The task running now, as events refer to it, when the tasks capability knows it. */
export function currentTaskRef(): TaskRef | undefined {
  const task = currentTask();
  return task === undefined ? undefined : taskRef(task);
}

/** Pending tasks now. */
export function pendingTaskCount(): number | undefined {
  return tasksPending();
}
