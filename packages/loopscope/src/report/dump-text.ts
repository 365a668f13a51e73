import type { Frame, TaskDumpEvent, TaskSnapshot } from "./types.js";
import { formatMs, renderFrames } from "./render.js";

/** Names listed per group; the rest are counted. */
const NAMES_PER_GROUP = 5;

interface Group {
  readonly key: string;
  readonly tasks: TaskSnapshot[];
}

/**
 * The Go-like text of a task dump: a header, then one block per task — or per group
 * of tasks whose state, await frames and creation frames render identically, so
 * 10,000 handlers waiting on the same line read as one block "10000 tasks". Largest
 * groups first, then the oldest. Node-internal and loopscope frames are folded.
 *
 * @example
 * ```
 * task 12 "handle cattle-ab12" [pending 2.1 s, parent 3]
 *   awaits timer 1000 ms, for 0.8 s, at:
 *     at extendDeadline (src/consumer.ts:88:7)
 *   created at:
 *     at Consumer.dispatch (src/consumer.ts:61:5)
 * ```
 */
export function renderDump(dump: TaskDumpEvent): string {
  const frameText = new Map<readonly Frame[], string>();
  const render = (frames: readonly Frame[]): string => {
    let text = frameText.get(frames);
    if (text === undefined) {
      text = renderFrames(frames, { indent: "    " });
      frameText.set(frames, text);
    }
    return text;
  };

  const groups = new Map<string, Group>();
  const hidden: TaskSnapshot[] = [];
  for (const task of dump.tasks) {
    if (task.internal === true) {
      hidden.push(task);
      continue;
    }
    const at = task.awaiting === undefined ? "" : render(task.awaiting.at);
    const key = `${task.state}\u0000${kindKey(task)}\u0000${at}\u0000${render(task.createdAt)}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { key, tasks: [] };
      groups.set(key, group);
    }
    group.tasks.push(task);
  }
  const ordered = [...groups.values()].sort(
    (a, b) => b.tasks.length - a.tasks.length || oldest(b) - oldest(a),
  );

  const lines = header(dump, dump.tasks.length - hidden.length, groups.size);
  for (const group of ordered) {
    lines.push("");
    lines.push(
      ...(group.tasks.length === 1 ? single(group.tasks[0]!, render) : many(group, render)),
    );
  }
  if (hidden.length > 0) lines.push("", hiddenLine(hidden));
  return lines.join("\n");
}

/**
 * Node's own pending async calls (module loading, ...) are not the application's: one
 * line says how many and of what kind; the JSON event still lists them.
 */
function hiddenLine(hidden: readonly TaskSnapshot[]): string {
  const kinds = new Set<string>();
  for (const task of hidden) kinds.add(internalKind(task.awaiting?.at ?? []));
  const calls = hidden.length === 1 ? "pending async call" : "pending async calls";
  return `+ ${hidden.length} ${calls} inside Node itself (${[...kinds].sort().join(", ")}), hidden`;
}

function internalKind(frames: readonly Frame[]): string {
  const files = frames.map((f) => f.file);
  if (files.some((f) => f.includes("/modules/"))) return "module loading";
  if (frames.length > 0 && frames.every((f) => f.loopscope === true)) return "loopscope";
  if (files.some((f) => f.includes("/fs/") || f.startsWith("node:fs"))) return "file operations";
  if (files.some((f) => f.includes("stream") || f === "node:net")) return "streams";
  if (files.some((f) => f.includes("timers"))) return "timers";
  if (files.some((f) => f.includes("test_runner"))) return "test runner";
  return "other";
}

/** Tasks awaiting different tasks still group: the kind, not the id, is compared. */
function kindKey(task: TaskSnapshot): string {
  const what = task.awaiting?.what ?? "";
  return what.startsWith("task ") ? "task" : what;
}

function header(dump: TaskDumpEvent, count: number, groupCount: number): string[] {
  const lines = [
    `loopscope task dump: pid ${dump.pid}, ${new Date(dump.time).toISOString()}, ${dump.mode} mode`,
    `${count} pending ${count === 1 ? "task" : "tasks"}${count > groupCount ? ` in ${groupCount} ${groupCount === 1 ? "group" : "groups"}` : ""}`,
  ];
  const sampling = dump.sampling;
  if (dump.unsampled !== undefined && dump.unsampled > 0) {
    const rate =
      sampling === undefined ? "" : ` (captured 1 in ${sampling.creationOneIn} under load)`;
    lines.push(`creation frames sampled: ${dump.unsampled} of ${count} tasks have none${rate}`);
  }
  if (sampling?.awaitSkipped !== undefined && sampling.awaitSkipped > 0) {
    lines.push(
      `await sites sampled under load: 1 in ${sampling.awaitOneIn ?? "?"}, ${sampling.awaitSkipped} not captured so far`,
    );
  }
  if (sampling?.awaitsDropped !== undefined && sampling.awaitsDropped > 0) {
    lines.push(`await sites dropped at the bound: ${sampling.awaitsDropped}`);
  }
  const resources = Object.entries(dump.resources ?? {});
  if (resources.length > 0) {
    resources.sort((a, b) => b[1] - a[1]);
    lines.push(`node resources: ${resources.map(([kind, n]) => `${kind} ${n}`).join(", ")}`);
  }
  if (dump.mode === "production") {
    lines.push(
      "production mode: the line each task awaits on and what it waits for are shown in debug mode (LOOPSCOPE_DEBUG=1)",
    );
  }
  return lines;
}

function single(task: TaskSnapshot, render: (f: readonly Frame[]) => string): string[] {
  const facts = [`${task.state} ${seconds(task.ageMs)}`];
  if (task.parentId !== undefined) facts.push(`parent ${task.parentId}`);
  if (task.cancelRequested === true) facts.push("cancel requested");
  const label =
    task.id === 0 ? `async call "${task.name}" (no task)` : `task ${task.id} "${task.name}"`;
  const lines = [`${label} [${facts.join(", ")}]`];
  if (task.busyMs !== undefined) {
    lines.push(
      `  busy ${seconds(task.busyMs)}, idle ${seconds(task.idleMs ?? 0)}, ${steps(task.steps ?? 0)}`,
    );
  }
  lines.push(...body(task, render, seconds(task.awaiting?.sinceMs ?? 0)));
  return lines;
}

function steps(count: number): string {
  return count === 1 ? "1 step" : `${count} steps`;
}

function many(group: Group, render: (f: readonly Frame[]) => string): string[] {
  const tasks = group.tasks;
  const first = tasks[0]!;
  const ages = tasks.map((t) => t.ageMs);
  const waits = tasks.map((t) => t.awaiting?.sinceMs ?? 0);
  const shown = tasks
    .slice(0, NAMES_PER_GROUP)
    .map((t) => (t.id === 0 ? `"${t.name}"` : `${t.id} "${t.name}"`));
  const more = tasks.length - shown.length;
  const parents = new Set(tasks.map((t) => t.parentId));
  const facts = [`${first.state} ${range(ages)}`];
  if (parents.size === 1 && first.parentId !== undefined) facts.push(`parent ${first.parentId}`);
  const cancelling = tasks.filter((t) => t.cancelRequested === true).length;
  if (cancelling > 0) facts.push(`${cancelling} cancel requested`);
  const lines = [
    `${tasks.length} tasks [${facts.join(", ")}]`,
    `  ${shown.join(", ")}${more > 0 ? `, and ${more} more` : ""}`,
  ];
  if (first.busyMs !== undefined) {
    let fewest = Infinity;
    let most = 0;
    for (const t of tasks) {
      fewest = Math.min(fewest, t.steps ?? 0);
      most = Math.max(most, t.steps ?? 0);
    }
    lines.push(
      `  busy ${range(tasks.map((t) => t.busyMs ?? 0))}, idle ${range(tasks.map((t) => t.idleMs ?? 0))}, ${fewest === most ? steps(most) : `${fewest}–${most} steps`}`,
    );
  }
  lines.push(...body(first, render, range(waits), tasks));
  return lines;
}

function body(
  task: TaskSnapshot,
  render: (f: readonly Frame[]) => string,
  since: string,
  all: readonly TaskSnapshot[] = [task],
): string[] {
  const lines: string[] = [];
  const awaiting = task.awaiting;
  if (awaiting !== undefined) {
    const kinds = new Set(all.map((t) => t.awaiting?.what));
    const what =
      kinds.size === 1 ? awaiting.what : `${awaiting.what} (and ${kinds.size - 1} other tasks)`;
    lines.push(`  awaits ${what}, for ${since}${awaiting.at.length > 0 ? ", at:" : ""}`);
    if (awaiting.at.length > 0) lines.push(render(awaiting.at));
  }
  if (task.createdAt.length > 0) {
    lines.push("  created at:", render(task.createdAt));
  } else if (task.id !== 0) {
    lines.push("  created at: (not sampled)");
  }
  return lines;
}

function oldest(group: Group): number {
  let max = 0;
  for (const task of group.tasks) if (task.ageMs > max) max = task.ageMs;
  return max;
}

function range(values: readonly number[]): string {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const low = seconds(min);
  const high = seconds(max);
  return low === high ? low : `${low}–${high}`;
}

/** `0.4 ms`, `850 ms`, `2.1 s`, `3 min 5 s`: Go says "for 2 minutes". */
function seconds(ms: number): string {
  if (ms < 1000) return formatMs(ms);
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)} min ${total % 60} s`;
}
