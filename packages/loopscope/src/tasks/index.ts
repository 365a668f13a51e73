export { spawn, currentTask, cancelTask, findTask, pendingTaskCount } from "./task.js";
export type { Task, SpawnOptions } from "./task.js";
export { snapshotTasks, firstTasks } from "./snapshot.js";
export type { TaskFields, FirstTasks } from "./snapshot.js";
export { setDebugTracking, isDebugTracking } from "./debug-hooks.js";
export { watchPendingTasks, stopWatchingTasks } from "./never-resumes.js";
export {
  taskRef,
  currentTaskRef,
  taskRefOfPromise,
  contextTaskRefOfPromise,
  promiseCreationFrames,
} from "./debug-lookups.js";
export { keepFinishedTasks, finishedTasks } from "./history.js";
export type { HistoryLimits } from "./history.js";
