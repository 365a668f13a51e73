/**
 * The main thread's answers to the inspector's questions: computed when asked, bounded
 * (at most `limit` tasks and 200 groups go out, whatever the process holds), as JSON text
 * the server thread sends on as it is.
 */
import type {
  FinishedTasksAnswer,
  RecorderAnswer,
  Frame,
  TaskDetailAnswer,
  TaskGroupSummary,
  TaskQuery,
  TaskQueryAnswer,
  TaskSnapshot,
} from "../protocol/index.js";
import { isApplicationFrame } from "../protocol/index.js";
import { recorderWindow } from "../recorder/index.js";
import { groupTasks } from "../render/index.js";
import type { TaskFields } from "../tasks/index.js";
import { cancelTask, finishedTasks, firstTasks, snapshotTasks } from "../tasks/index.js";
import type { Question } from "./thread-protocol.js";

/** An answer before the server adds `protocol` and freshness. */
export interface Answer {
  readonly status: number;
  readonly body: string;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1_000;
export const MAX_GROUPS = 200;
/** The recorder's answer: at most this many bytes of JSON, whatever its `limit`. */
export const RECORDER_MAX_BYTES = 1024 * 1024;
const MAX_CHILDREN = 100;

type Unversioned<T> = Omit<T, "protocol" | "stale" | "blocked">;

/** Answer a question; a failure is a 500 naming it, never an exception into the loop. */
export function answer(question: Question): Answer {
  try {
    switch (question.kind) {
      case "tasks":
        return ok(answerTasks(question.query));
      case "task":
        return answerTask(question.id);
      case "finished": {
        const { tasks, dropped } = finishedTasks(Math.min(question.limit, MAX_LIMIT));
        const body: Unversioned<FinishedTasksAnswer> = {
          type: "finished",
          computedAt: Date.now(),
          tasks,
          dropped,
        };
        return ok(body);
      }
      case "recorder": {
        const window = recorderWindow(undefined, {
          maxEntries: question.limit,
          maxBytes: RECORDER_MAX_BYTES,
        });
        const body: Unversioned<RecorderAnswer> = {
          type: "recorder",
          computedAt: Date.now(),
          ...(window === undefined ? {} : { window }),
        };
        return ok(body);
      }
      case "cancel": {
        const cancelled = cancelTask(
          question.id,
          new DOMException("Cancelled from the loopscope inspector", "AbortError"),
        );
        return ok({ type: "cancel", id: question.id, cancelled });
      }
    }
  } catch (error) {
    return failure(500, "LOOPSCOPE_ERR_INSPECT_ANSWER", describe(error));
  }
}

/** The creation site a query and a group by site name: `file:line` of the first application frame. */
export function siteOf(frames: readonly Frame[]): string | undefined {
  const frame = frames.find(isApplicationFrame);
  return frame === undefined ? undefined : `${frame.file}:${frame.line}`;
}

export function answerTasks(query: TaskQuery): Unversioned<TaskQueryAnswer> {
  const limit = Math.min(query.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
  // Oldest first and no groups (the dashboard's query): the dump's order is the answer's,
  // so only the tasks sent are snapshotted; the others are read in place and counted.
  if (query.group === undefined && (query.sort ?? "age") === "age") {
    const first = firstTasks(matcher(query), limit);
    return {
      type: "tasks",
      query,
      computedAt: first.time,
      mode: first.mode,
      total: first.total,
      matched: first.matched,
      tasks: first.tasks,
      unsampled: first.unsampled,
    };
  }
  const dump = snapshotTasks();
  // Async calls outside any task (debug mode, id 0) and Node's own work are not tasks.
  const all = dump.tasks.filter((task) => task.id !== 0 && task.internal !== true);
  const matches = matcher(query);
  const matched = all.filter(matches);
  const answer: {
    -readonly [K in keyof Unversioned<TaskQueryAnswer>]: Unversioned<TaskQueryAnswer>[K];
  } = {
    type: "tasks",
    query,
    computedAt: dump.time,
    mode: dump.mode,
    total: all.length,
    matched: matched.length,
    tasks: topN(matched, query.sort ?? "age", limit),
    unsampled: dump.unsampled ?? 0,
  };
  if (query.group === "site") answer.groups = groupsBySite(matched);
  if (query.group === "subtree") answer.groups = groupsBySubtree(matched);
  return answer;
}

function matcher(query: TaskQuery): (task: TaskFields) => boolean {
  const { name, regex, state, minAgeMs, site } = query;
  const pattern = name === undefined || !regex ? undefined : new RegExp(name);
  return (task) =>
    (name === undefined ||
      (pattern === undefined ? task.name.includes(name) : pattern.test(task.name))) &&
    (state === undefined || task.state === state) &&
    (minAgeMs === undefined || task.ageMs >= minAgeMs) &&
    (site === undefined || siteOf(task.createdAt) === site);
}

/** The first `limit` in `sort` order, without sorting every match when most are left out. */
function topN(
  tasks: readonly TaskSnapshot[],
  sort: "age" | "busy" | "name",
  limit: number,
): TaskSnapshot[] {
  const compare = COMPARATORS[sort];
  // The dump is in creation order: oldest first already.
  if (sort === "age") return tasks.slice(0, limit);
  return [...tasks].sort(compare).slice(0, limit);
}

const COMPARATORS: Record<"age" | "busy" | "name", (a: TaskSnapshot, b: TaskSnapshot) => number> = {
  age: (a, b) => b.ageMs - a.ageMs,
  busy: (a, b) => (b.busyMs ?? 0) - (a.busyMs ?? 0) || b.ageMs - a.ageMs,
  name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id),
};

function groupsBySite(tasks: readonly TaskSnapshot[]): TaskGroupSummary[] {
  const groups = new Map<string, { count: number; oldest: TaskSnapshot; label: string }>();
  for (const task of tasks) {
    const key = siteOf(task.createdAt) ?? "(creation not captured)";
    const group = groups.get(key);
    if (group === undefined) {
      const frame = task.createdAt.find(isApplicationFrame);
      const label = frame === undefined ? key : `${frame.fn} (${key})`;
      groups.set(key, { count: 1, oldest: task, label });
    } else {
      group.count++;
      if (task.ageMs > group.oldest.ageMs) group.oldest = task;
    }
  }
  return summaries(
    [...groups].map(([key, group]) => ({
      key,
      label: group.label,
      count: group.count,
      oldest: group.oldest,
    })),
  );
}

function groupsBySubtree(tasks: readonly TaskSnapshot[]): TaskGroupSummary[] {
  const grouped = groupTasks({ tasks });
  return summaries(
    grouped.groups.map((group, index) => {
      const example = group.tasks[0]!;
      const site = siteOf(example.createdAt);
      const word = example.name.split(" ")[0] ?? example.name;
      const oldest = group.tasks.reduce((a, b) => (b.ageMs > a.ageMs ? b : a), example);
      return {
        key: `subtree-${index}`,
        label: `${word}${site === undefined ? "" : ` (${site})`}${group.children.length > 0 ? ", with children" : ""}`,
        count: group.tasks.length,
        oldest,
      };
    }),
  );
}

function summaries(
  groups: { key: string; label: string; count: number; oldest: TaskSnapshot }[],
): TaskGroupSummary[] {
  groups.sort((a, b) => b.count - a.count || b.oldest.ageMs - a.oldest.ageMs);
  return groups.slice(0, MAX_GROUPS).map((group) => ({
    key: group.key,
    label: group.label,
    count: group.count,
    oldestAgeMs: group.oldest.ageMs,
    example: group.oldest,
  }));
}

function answerTask(id: number): Answer {
  const dump = snapshotTasks();
  const task = dump.tasks.find((candidate) => candidate.id === id && id !== 0);
  if (task === undefined) {
    return failure(404, "LOOPSCOPE_ERR_INSPECT_NO_TASK", `no pending task has id ${id}`);
  }
  const children = dump.tasks.filter((candidate) => candidate.parentId === id);
  const body: Unversioned<TaskDetailAnswer> = {
    type: "task",
    computedAt: dump.time,
    task,
    children: children.slice(0, MAX_CHILDREN),
    childCount: children.length,
  };
  return ok(body);
}

function ok(body: object): Answer {
  return { status: 200, body: JSON.stringify(body) };
}

/** An error answer's body (`ErrorAnswer` without `protocol`). */
export function failure(status: number, code: string, message: string): Answer {
  return { status, body: JSON.stringify({ error: { code, message } }) };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
