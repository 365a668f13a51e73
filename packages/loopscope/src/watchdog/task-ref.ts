import type { Frame, TaskRef } from "../report/index.js";

/**
 * The bridge to the tasks capability, loaded lazily so the watchdog and the metrics work
 * (without task names) in a build that has no tasks module. The shapes are checked at run
 * time rather than trusted.
 */
interface TasksModule {
  currentTask?: () => unknown;
  taskRef?: (task: unknown) => unknown;
  pendingTaskCount?: () => unknown;
}

let tasksModule: TasksModule | undefined;
// A variable specifier: the module is optional, and must not be a build-time dependency.
const tasksSpecifier = "../tasks/index.js";
const loading: Promise<void> = import(tasksSpecifier).then(
  (module: TasksModule) => {
    tasksModule = module;
  },
  () => {
    tasksModule = undefined;
  },
);

/** Resolves once the tasks module was looked for (found or not). */
export function tasksLoaded(): Promise<void> {
  return loading;
}

/** The task running now, as events refer to it, if the tasks module knows it. */
export function currentTaskRef(): TaskRef | undefined {
  const task = tasksModule?.currentTask?.();
  if (typeof task !== "object" || task === null) return undefined;
  const fromModule = tasksModule?.taskRef?.(task);
  if (isTaskRef(fromModule)) return fromModule;
  const { id, name } = task as { id?: unknown; name?: unknown };
  if (typeof id !== "number" || typeof name !== "string") return undefined;
  const createdAt = (task as { createdAt?: unknown }).createdAt;
  return { id, name, createdAt: Array.isArray(createdAt) ? (createdAt as Frame[]) : [] };
}

/** Pending tasks now, or `undefined` when the tasks module is absent or cannot say. */
export function pendingTaskCount(): number | undefined {
  const count = tasksModule?.pendingTaskCount?.();
  return typeof count === "number" && Number.isFinite(count) ? count : undefined;
}

function isTaskRef(value: unknown): value is TaskRef {
  if (typeof value !== "object" || value === null) return false;
  const ref = value as Partial<TaskRef>;
  return typeof ref.id === "number" && typeof ref.name === "string" && Array.isArray(ref.createdAt);
}
