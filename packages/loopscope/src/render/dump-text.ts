import type { Frame, TaskDumpEvent, TaskSnapshot } from "../protocol/index.js";
import { DumpKeys } from "./dump-keys.js";
import { formatDuration, renderFrames } from "./frames-text.js";
import type { TaskGroup } from "./group-tasks.js";
import { groupTasksWith, resumerEnd } from "./group-tasks.js";
import { taskLabel } from "./task-label.js";

/** Example names listed per group; the rest are counted. */
const NAMES_PER_GROUP = 3;

/** Lines of `frames[0..end)`, each prefixed with `indent`. */
type Render = (frames: readonly Frame[], end: number, indent: string) => string[];

/**
 * The Go-like text of a task dump. Children are nested under their parent as a tree
 * (`├ extend …`, `└ cleanup …`), and identical subtrees ({@link groupTasks}) are one
 * group with a count and a few example names, so 10,000 handlers waiting on the same
 * line read as one block. Largest groups first, then the oldest. Creation frames are
 * printed once per group, without the Node-internal frames that only say who resumed
 * the code, and a child's without the frames its parent's already show.
 *
 * @example
 * ```
 * 412 × handle cattle-… [pending 13 ms–3.0 s]
 *   e.g. 16 "handle cattle-wtor", 28 "handle cattle-nypw", 67 "handle cattle-97ds", and 409 more
 *   created at:
 *     at spawnHandler (./src/service/handler.ts:314:10)
 *     at Consumer.handleDelivery (./src/service/service.ts:150:12)
 *   ├ extend cattle-… [pending 13 ms–3.0 s]
 *   │   created at handleMessage (./src/service/handler.ts:199:21)
 *   └ cleanup cattle-… [pending 13 ms–3.0 s]
 *       created at handleMessage (./src/service/handler.ts:208:10)
 * ```
 */
export function renderDump(dump: TaskDumpEvent): string {
  const keys = new DumpKeys();
  // Rendered once per distinct frame list (by id), however many groups show it.
  const frameText = new Map<number, string>();
  const render: Render = (frames, end, indent) => {
    if (end === 0) return [];
    const id = keys.frames(frames, end);
    let text = frameText.get(id);
    if (text === undefined) {
      text = renderFrames(end === frames.length ? frames : frames.slice(0, end), { indent: "" });
      frameText.set(id, text);
    }
    return text.split("\n").map((line) => indent + line);
  };

  // The grouping's keys: frame lists it compared already have their ids.
  const grouped = groupTasksWith(dump, keys);
  const groups = grouped.groups;
  const lines = header(dump, grouped.taskCount, grouped.rootCount, groups.length);
  for (const group of groups) {
    lines.push("");
    lines.push(...renderGroup(group, 1, "", "", render));
  }
  if (grouped.internal.length > 0) lines.push("", hiddenLine(grouped.internal));
  return lines.join("\n");
}

/**
 * One group's lines: its title, its facts, then its children's groups as branches.
 * `perParent` > 1 says each parent of the group above has that many of these.
 */
function renderGroup(
  group: TaskGroup,
  perParent: number,
  first: string,
  rest: string,
  render: Render,
): string[] {
  const nodes = group.tasks;
  const one = nodes[0]!;
  const nested = group.nested;
  const facts = collectFacts(nodes);
  const lines = [`${first}${title(nodes, facts, perParent, nested)}`];
  const body = `${rest}  `;
  // Nested groups name one example: enough to find an id, the rest is the parent's.
  if (nodes.length > 1) lines.push(`${body}e.g. ${examples(nodes, nested ? 1 : NAMES_PER_GROUP)}`);
  if (one.busyMs !== undefined) lines.push(`${body}${busyLine(facts)}`);
  const awaiting = one.awaiting;
  if (awaiting !== undefined) {
    const atEnd = resumerEnd(awaiting.at);
    const what =
      facts.kinds === 1 ? awaiting.what : `${awaiting.what} (and ${facts.kinds - 1} other tasks)`;
    const since = range(facts.since);
    lines.push(`${body}awaits ${what}, for ${since}${atEnd > 0 ? ", at:" : ""}`);
    lines.push(...render(awaiting.at, atEnd, `${body}  `));
  }
  const createdEnd = group.ownCreationFrames;
  if (createdEnd === 1 && nested) {
    lines.push(...render(one.createdAt, createdEnd, `${body}created `));
  } else if (createdEnd > 0) {
    lines.push(`${body}created at:`, ...render(one.createdAt, createdEnd, `${body}  `));
  } else if (one.id !== 0 && one.createdAt.length === 0) {
    lines.push(`${body}created at: (not sampled)`);
  }

  const children = group.children;
  children.forEach((child, i) => {
    const last = i === children.length - 1;
    lines.push(
      ...renderGroup(
        child,
        child.tasks.length / nodes.length,
        `${body}${last ? "└ " : "├ "}`,
        `${body}${last ? "  " : "│ "}`,
        render,
      ),
    );
  });
  return lines;
}

/** The smallest and the largest of a value over a group. */
interface Span {
  min: number;
  max: number;
}

/** What a group's title and facts say about all its tasks, gathered in one pass. */
interface GroupFacts {
  readonly age: Span;
  readonly since: Span;
  readonly busy: Span;
  readonly idle: Span;
  readonly steps: Span;
  /** All tasks have the first one's parent id (or none). */
  sameParent: boolean;
  cancelling: number;
  /** How many different `awaiting.what` (an absent one counts as one). */
  kinds: number;
  /** Lengths of the common prefix and suffix of the names, and the shortest name's. */
  prefix: number;
  suffix: number;
  shortest: number;
}

/**
 * One pass over a group, however large: 100,000 tasks are read once, not once per
 * fact. Names are compared with the first one by length, so no string is cut per task.
 */
function collectFacts(nodes: readonly TaskSnapshot[]): GroupFacts {
  const one = nodes[0]!;
  const name0 = one.name;
  const facts: GroupFacts = {
    age: emptySpan(),
    since: emptySpan(),
    busy: emptySpan(),
    idle: emptySpan(),
    steps: { min: Infinity, max: 0 },
    sameParent: true,
    cancelling: 0,
    kinds: 1,
    prefix: name0.length,
    suffix: name0.length,
    shortest: name0.length,
  };
  const firstWhat = one.awaiting?.what;
  let otherKinds: Set<string | undefined> | undefined;
  for (const task of nodes) {
    widen(facts.age, task.ageMs);
    widen(facts.since, task.awaiting?.sinceMs ?? 0);
    widen(facts.busy, task.busyMs ?? 0);
    widen(facts.idle, task.idleMs ?? 0);
    widen(facts.steps, task.steps ?? 0);
    if (task.parentId !== one.parentId) facts.sameParent = false;
    if (task.cancelRequested === true) facts.cancelling++;
    const what = task.awaiting?.what;
    if (what !== firstWhat) (otherKinds ??= new Set()).add(what);

    const name = task.name;
    if (name.length < facts.shortest) facts.shortest = name.length;
    let i = 0;
    while (i < facts.prefix && i < name.length && name0.charCodeAt(i) === name.charCodeAt(i)) i++;
    facts.prefix = i;
    let j = 0;
    while (
      j < facts.suffix &&
      j < name.length &&
      name0.charCodeAt(name0.length - 1 - j) === name.charCodeAt(name.length - 1 - j)
    ) {
      j++;
    }
    facts.suffix = j;
  }
  if (otherKinds !== undefined) facts.kinds += otherKinds.size;
  return facts;
}

function emptySpan(): Span {
  return { min: Infinity, max: -Infinity };
}

function widen(span: Span, value: number): void {
  if (value < span.min) span.min = value;
  if (value > span.max) span.max = value;
}

/** `task 22 "handle cattle-ldo6" [...]` for one task, `412 × handle cattle-… [...]` for a group. */
function title(
  nodes: readonly TaskSnapshot[],
  facts: GroupFacts,
  perParent: number,
  nested: boolean,
): string {
  const one = nodes[0]!;
  const state = [`${one.state} ${range(facts.age)}`];
  if (!nested && facts.sameParent && one.parentId !== undefined) {
    // Its parent is no longer pending, or it would be nested under it.
    state.push(`parent ${one.parentId}`);
  }
  if (facts.cancelling > 0)
    state.push(nodes.length === 1 ? "cancel requested" : `${facts.cancelling} cancel requested`);
  // One group never mixes tasks that will resume with tasks that cannot (the signature).
  if (one.neverResumes === true) state.push("NEVER RESUMES");
  const stateText = `[${state.join(", ")}]`;
  if (nodes.length === 1 || (nested && perParent === 1)) {
    if (nodes.length > 1) return `${nameShape(one.name, facts)} ${stateText}`;
    return one.id === 0
      ? `async call "${one.name}" (no task) ${stateText}`
      : `${taskLabel(one)} ${stateText}`;
  }
  const count = nested ? `${perParent} × ` : `${nodes.length} × `;
  const each = nested ? " each" : "";
  const shape = nameShape(one.name, facts);
  const name = one.id === 0 ? `async call ${shape} (no task)` : shape;
  return `${count}${name}${each} ${stateText}`;
}

/** What the names of a group have in common: `handle cattle-…`. */
function nameShape(name0: string, facts: GroupFacts): string {
  if (facts.prefix === name0.length) return name0;
  // The suffix must not eat into the prefix (names of different lengths).
  const suffix = Math.min(facts.suffix, facts.shortest - facts.prefix);
  return `${name0.slice(0, facts.prefix)}…${name0.slice(name0.length - suffix)}`;
}

function examples(nodes: readonly TaskSnapshot[], count: number): string {
  const shown = nodes
    .slice(0, count)
    .map((t) => (t.id === 0 ? `"${t.name}"` : `${t.id} "${t.name}"`));
  const more = nodes.length - shown.length;
  return `${shown.join(", ")}${more > 0 ? `, and ${more} more` : ""}`;
}

function busyLine(facts: GroupFacts): string {
  const { min: fewest, max: most } = facts.steps;
  const stepText = fewest === most ? steps(most) : `${fewest}–${most} steps`;
  return `busy ${range(facts.busy)}, idle ${range(facts.idle)}, ${stepText}`;
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

/** `252 pending tasks, 84 top-level, in 2 groups`: how much there is, how much to read. */
function countLine(count: number, roots: number, groupCount: number): string {
  let line = `${count} pending ${count === 1 ? "task" : "tasks"}`;
  if (roots < count) line += `, ${roots} top-level`;
  if (groupCount < roots) line += `, in ${groupCount} ${groupCount === 1 ? "group" : "groups"}`;
  return line;
}

function header(dump: TaskDumpEvent, count: number, roots: number, groupCount: number): string[] {
  const lines = [
    `loopscope task dump: pid ${dump.pid}, ${new Date(dump.time).toISOString()}, ${dump.mode} mode`,
    countLine(count, roots, groupCount),
  ];
  const lost = dump.tasks.filter((task) => task.neverResumes === true).length;
  const notListed = dump.neverResumesNotListed ?? 0;
  if (lost > 0 || notListed > 0) {
    const more = notListed > 0 ? ` (and ${notListed} earlier ones no longer listed)` : "";
    lines.push(`${lost} of them can never resume${more}: see the task-never-resumes events`);
  }
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

function steps(count: number): string {
  return count === 1 ? "1 step" : `${count} steps`;
}

/** `13 ms–3.0 s`, or `13 ms` when both ends read the same. */
function range(span: Span): string {
  const low = formatDuration(span.min);
  const high = formatDuration(span.max);
  return low === high ? low : `${low}–${high}`;
}
