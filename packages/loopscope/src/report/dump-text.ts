import type { Frame, TaskDumpEvent, TaskSnapshot } from "./types.js";
import { formatMs, renderFrames } from "./render.js";

/** Example names listed per group; the rest are counted. */
const NAMES_PER_GROUP = 3;

/** A task with its pending children, as the dump nests them. */
interface TreeNode {
  readonly task: TaskSnapshot;
  readonly parent: TreeNode | undefined;
  /** Pending children; {@link NO_CHILDREN} (shared) until the first one. */
  children: TreeNode[];
  /** Creation frames to show: trimmed to what the parent's do not already say. */
  ownCreation: readonly Frame[];
  /** Equal for subtrees the dump shows as one group. */
  signature: string;
}

/** Shared by every node without children (most): no array per task. */
const NO_CHILDREN: TreeNode[] = [];

/** Subtrees with the same signature, shown once with a count. */
interface Group {
  readonly nodes: TreeNode[];
}

type Render = (frames: readonly Frame[], indent: string) => string[];

/**
 * The Go-like text of a task dump. Children are nested under their parent as a tree
 * (`├ extend …`, `└ cleanup …`), and identical subtrees — same name shape (the name's
 * first word), same creation frames, same states and awaits, same children — are one
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
  const frameText = new Map<readonly Frame[], string>();
  const text = (frames: readonly Frame[]): string => {
    let rendered = frameText.get(frames);
    if (rendered === undefined) {
      rendered = renderFrames(frames, { indent: "" });
      frameText.set(frames, rendered);
    }
    return rendered;
  };
  const render: Render = (frames, indent) =>
    frames.length === 0
      ? []
      : text(frames)
          .split("\n")
          .map((line) => indent + line);

  const hidden: TaskSnapshot[] = [];
  const shown: TaskSnapshot[] = [];
  for (const task of dump.tasks) (task.internal === true ? hidden : shown).push(task);
  const roots = buildForest(shown);
  for (const root of roots) sign(root, text);
  const groups = groupBySignature(roots);
  groups.sort((a, b) => b.nodes.length - a.nodes.length || oldest(b) - oldest(a));

  const lines = header(dump, shown.length, roots.length, groups.length);
  for (const group of groups) {
    lines.push("");
    lines.push(...renderGroup(group, 1, "", "", render));
  }
  if (hidden.length > 0) lines.push("", hiddenLine(hidden));
  return lines.join("\n");
}

/** Nest tasks under their parents; a task whose parent is not pending is a root. */
function buildForest(tasks: readonly TaskSnapshot[]): TreeNode[] {
  // Only parents need finding by id: usually far fewer than tasks.
  const parentIds = new Set<number>();
  for (const task of tasks) if (task.parentId !== undefined) parentIds.add(task.parentId);
  const byId = new Map<number, TreeNode>();
  const nodes: TreeNode[] = new Array<TreeNode>(tasks.length);
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i]!;
    const node: TreeNode = {
      task,
      parent: undefined,
      children: NO_CHILDREN,
      ownCreation: task.createdAt,
      signature: "",
    };
    nodes[i] = node;
    // Id 0 is debug mode's async calls outside any task: never anyone's parent.
    if (task.id !== 0 && parentIds.has(task.id)) byId.set(task.id, node);
  }
  const roots: TreeNode[] = [];
  for (const node of nodes) {
    const parentId = node.task.parentId;
    const parent = parentId === undefined ? undefined : byId.get(parentId);
    if (parent === undefined || parent === node) {
      roots.push(node);
      continue;
    }
    (node as { parent: TreeNode }).parent = parent;
    if (parent.children === NO_CHILDREN) parent.children = [];
    parent.children.push(node);
  }
  return roots;
}

/**
 * Compute each node's signature, children first. The signature holds what the group
 * shows once: state, what is awaited (its kind) and where, the creation frames, the
 * name's shape and the children's signatures. Ids, ages and instance names differ.
 */
function sign(root: TreeNode, text: (frames: readonly Frame[]) => string): void {
  if (root.children.length === 0) {
    signOne(root, text);
    return;
  }
  // Iterative post-order: trees may be deep (a chain of spawns), recursion would not do.
  const order: TreeNode[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    order.push(node);
    for (const child of node.children) stack.push(child);
  }
  for (let i = order.length - 1; i >= 0; i--) signOne(order[i]!, text);
}

/** One node's signature; its children's are computed already. */
function signOne(node: TreeNode, text: (frames: readonly Frame[]) => string): void {
  const task = node.task;
  node.ownCreation = ownFrames(task.createdAt, node.parent?.task.createdAt);
  const at = task.awaiting === undefined ? "" : text(withoutResumer(task.awaiting.at));
  const children =
    node.children.length === 0
      ? ""
      : node.children
          .map((c) => c.signature)
          .sort()
          .join("\u0001");
  node.signature =
    `${task.state}\u0000${kindKey(task)}\u0000${at}\u0000${text(node.ownCreation)}` +
    `\u0000${nameKey(task.name)}\u0000${task.id === 0 ? "call" : "task"}\u0000[${children}]`;
}

/**
 * The frames that say where a task was created, for a reader: without the Node-internal
 * frames at the bottom (whoever resumed the code: they differ from one resumption to the
 * next and would split identical tasks), and for a child without what its parent's
 * frames already show (the frames below `spawn`, the parent's own creation).
 */
function ownFrames(
  frames: readonly Frame[],
  parentFrames: readonly Frame[] | undefined,
): readonly Frame[] {
  let end = frames.length;
  if (parentFrames !== undefined && parentFrames.length > 0) {
    let j = parentFrames.length;
    while (end > 0 && j > 0 && sameSite(frames[end - 1]!, parentFrames[j - 1]!)) {
      end--;
      j--;
    }
    const own = frames.findIndex((f) => f.loopscope === true);
    if (own !== -1 && own < end) end = own;
  }
  return withoutResumer(end === frames.length ? frames : frames.slice(0, end));
}

function sameSite(a: Frame, b: Frame): boolean {
  return a.file === b.file && a.line === b.line && a.col === b.col && a.fn === b.fn;
}

/** Trailing Node-internal frames (`processTicksAndRejections`, ...); all of them if that is all there is. */
function withoutResumer(frames: readonly Frame[]): readonly Frame[] {
  let end = frames.length;
  while (end > 0 && frames[end - 1]!.internal === true) end--;
  return end === 0 || end === frames.length ? frames : frames.slice(0, end);
}

/**
 * Names group by their first word, digits aside (`handle cattle-ab12` → `handle`,
 * `m17` → `m#`): the rest is usually the instance.
 */
function nameKey(name: string): string {
  const space = name.indexOf(" ");
  return (space === -1 ? name : name.slice(0, space)).replace(/[0-9]+/g, "#");
}

function groupBySignature(nodes: readonly TreeNode[]): Group[] {
  const groups = new Map<string, Group>();
  for (const node of nodes) {
    let group = groups.get(node.signature);
    if (group === undefined) {
      group = { nodes: [] };
      groups.set(node.signature, group);
    }
    group.nodes.push(node);
  }
  return [...groups.values()];
}

/**
 * One group's lines: its title, its facts, then its children's groups as branches.
 * `perParent` > 1 says each parent of the group above has that many of these.
 */
function renderGroup(
  group: Group,
  perParent: number,
  first: string,
  rest: string,
  render: Render,
): string[] {
  const nodes = group.nodes;
  const tasks = nodes.map((n) => n.task);
  const one = tasks[0]!;
  const nested = nodes[0]!.parent !== undefined;
  const lines = [`${first}${title(tasks, perParent, nested)}`];
  const body = `${rest}  `;
  // Nested groups name one example: enough to find an id, the rest is the parent's.
  if (tasks.length > 1) lines.push(`${body}e.g. ${examples(tasks, nested ? 1 : NAMES_PER_GROUP)}`);
  if (one.busyMs !== undefined) lines.push(`${body}${busyLine(tasks)}`);
  const awaiting = one.awaiting;
  if (awaiting !== undefined) {
    const at = withoutResumer(awaiting.at);
    const kinds = new Set(tasks.map((t) => t.awaiting?.what));
    const what =
      kinds.size === 1 ? awaiting.what : `${awaiting.what} (and ${kinds.size - 1} other tasks)`;
    const since = range(tasks.map((t) => t.awaiting?.sinceMs ?? 0));
    lines.push(`${body}awaits ${what}, for ${since}${at.length > 0 ? ", at:" : ""}`);
    lines.push(...render(at, `${body}  `));
  }
  const created = nodes[0]!.ownCreation;
  if (created.length === 1 && nested) {
    lines.push(...render(created, `${body}created `));
  } else if (created.length > 0) {
    lines.push(`${body}created at:`, ...render(created, `${body}  `));
  } else if (one.id !== 0 && one.createdAt.length === 0) {
    lines.push(`${body}created at: (not sampled)`);
  }

  // Every subtree of the group has the same children's signatures: group them across
  // the whole group, in the order they were created.
  const children = groupBySignature(nodes.flatMap((n) => n.children));
  children.sort((a, b) => firstId(a) - firstId(b));
  children.forEach((child, i) => {
    const last = i === children.length - 1;
    lines.push(
      ...renderGroup(
        child,
        child.nodes.length / nodes.length,
        `${body}${last ? "└ " : "├ "}`,
        `${body}${last ? "  " : "│ "}`,
        render,
      ),
    );
  });
  return lines;
}

/** `task 22 "handle cattle-ldo6" [...]` for one task, `412 × handle cattle-… [...]` for a group. */
function title(tasks: readonly TaskSnapshot[], perParent: number, nested: boolean): string {
  const one = tasks[0]!;
  const facts = [`${one.state} ${range(tasks.map((t) => t.ageMs))}`];
  const parents = new Set(tasks.map((t) => t.parentId));
  if (!nested && parents.size === 1 && one.parentId !== undefined) {
    // Its parent is no longer pending, or it would be nested under it.
    facts.push(`parent ${one.parentId}`);
  }
  const cancelling = tasks.filter((t) => t.cancelRequested === true).length;
  if (cancelling > 0)
    facts.push(tasks.length === 1 ? "cancel requested" : `${cancelling} cancel requested`);
  const state = `[${facts.join(", ")}]`;
  if (tasks.length === 1 || (nested && perParent === 1)) {
    if (tasks.length > 1) return `${nameShape(tasks)} ${state}`;
    return one.id === 0
      ? `async call "${one.name}" (no task) ${state}`
      : `task ${one.id} "${one.name}" ${state}`;
  }
  const count = nested ? `${perParent} × ` : `${tasks.length} × `;
  const each = nested ? " each" : "";
  const name = one.id === 0 ? `async call ${nameShape(tasks)} (no task)` : nameShape(tasks);
  return `${count}${name}${each} ${state}`;
}

/** What the names of a group have in common: `handle cattle-…`. */
function nameShape(tasks: readonly TaskSnapshot[]): string {
  let prefix = tasks[0]!.name;
  let suffix = prefix;
  for (const task of tasks) {
    const name = task.name;
    let i = 0;
    while (i < prefix.length && i < name.length && prefix[i] === name[i]) i++;
    prefix = prefix.slice(0, i);
    let j = 0;
    while (
      j < suffix.length &&
      j < name.length &&
      suffix[suffix.length - 1 - j] === name[name.length - 1 - j]
    ) {
      j++;
    }
    suffix = suffix.slice(suffix.length - j);
  }
  if (prefix === tasks[0]!.name) return prefix;
  // The suffix must not eat into the prefix (names of different lengths).
  const shortest = Math.min(...tasks.map((t) => t.name.length));
  if (prefix.length + suffix.length > shortest)
    suffix = suffix.slice(prefix.length + suffix.length - shortest);
  return `${prefix}…${suffix}`;
}

function examples(tasks: readonly TaskSnapshot[], count: number): string {
  const shown = tasks
    .slice(0, count)
    .map((t) => (t.id === 0 ? `"${t.name}"` : `${t.id} "${t.name}"`));
  const more = tasks.length - shown.length;
  return `${shown.join(", ")}${more > 0 ? `, and ${more} more` : ""}`;
}

function busyLine(tasks: readonly TaskSnapshot[]): string {
  let fewest = Infinity;
  let most = 0;
  for (const t of tasks) {
    fewest = Math.min(fewest, t.steps ?? 0);
    most = Math.max(most, t.steps ?? 0);
  }
  const stepText = fewest === most ? steps(most) : `${fewest}–${most} steps`;
  return `busy ${range(tasks.map((t) => t.busyMs ?? 0))}, idle ${range(tasks.map((t) => t.idleMs ?? 0))}, ${stepText}`;
}

function firstId(group: Group): number {
  let min = Infinity;
  for (const node of group.nodes) if (node.task.id < min) min = node.task.id;
  return min;
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

function oldest(group: Group): number {
  let max = 0;
  for (const node of group.nodes) if (node.task.ageMs > max) max = node.task.ageMs;
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
