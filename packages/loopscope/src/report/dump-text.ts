import type { Frame, TaskDumpEvent, TaskSnapshot } from "./types.js";
import { DumpKeys } from "./dump-keys.js";
import { formatMs, renderFrames } from "./render.js";

/** Example names listed per group; the rest are counted. */
const NAMES_PER_GROUP = 3;

/** A task with its pending children, as the dump nests them. */
interface TreeNode {
  readonly task: TaskSnapshot;
  readonly parent: TreeNode | undefined;
  /** Pending children; {@link NO_CHILDREN} (shared) until the first one. */
  children: TreeNode[];
  /**
   * How many of the task's creation frames to show: what the parent's do not already
   * say, without the resumer's. An end index rather than a slice: no array per task.
   */
  ownCreationEnd: number;
  /** Equal for subtrees the dump shows as one group: an id from {@link DumpKeys}. */
  signature: number;
}

/** Shared by every node without children (most): no array per task. */
const NO_CHILDREN: TreeNode[] = [];

/** Subtrees with the same signature, shown once with a count. */
interface Group {
  readonly nodes: TreeNode[];
}

/** Lines of `frames[0..end)`, each prefixed with `indent`. */
type Render = (frames: readonly Frame[], end: number, indent: string) => string[];

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

  const hidden = dump.tasks.filter((task) => task.internal === true);
  // Usually none is hidden: no second array of every task then.
  const shown =
    hidden.length === 0 ? dump.tasks : dump.tasks.filter((task) => task.internal !== true);
  const roots = buildForest(shown);
  for (const root of roots) sign(root, keys);
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
      ownCreationEnd: 0,
      signature: 0,
    };
    nodes[i] = node;
    // Id 0 is debug mode's async calls outside any task: never anyone's parent.
    if (task.id !== 0 && parentIds.has(task.id)) byId.set(task.id, node);
  }
  if (byId.size === 0) return nodes;
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
function sign(root: TreeNode, keys: DumpKeys): void {
  if (root.children.length === 0) {
    signOne(root, keys);
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
  for (let i = order.length - 1; i >= 0; i--) signOne(order[i]!, keys);
}

/**
 * One node's signature; its children's are computed already. Every part is a small
 * integer (frame lists and strings interned once) and so is their combination: no
 * string is built per task, whatever the stacks.
 */
function signOne(node: TreeNode, keys: DumpKeys): void {
  const task = node.task;
  const created = task.createdAt;
  node.ownCreationEnd = ownFramesEnd(created, node.parent?.task.createdAt);
  const awaiting = task.awaiting;
  const at = awaiting === undefined ? 0 : keys.frames(awaiting.at, resumerEnd(awaiting.at));
  let children = 0; // no id is 0: "no children"
  if (node.children.length > 0) {
    const ids = node.children.map((c) => c.signature);
    // Any canonical order: only which signatures, how many of each, matters.
    ids.sort((a, b) => a - b);
    children = keys.string(ids.join(","));
  }
  const what = keys.pair(keys.string(kindKey(task)), at);
  const where = keys.pair(keys.frames(created, node.ownCreationEnd), keys.nameShape(task.name));
  const kind = keys.pair(
    keys.string(task.neverResumes === true ? "never resumes" : task.state),
    task.id === 0 ? 0 : 1,
  );
  node.signature = keys.pair(keys.pair(what, where), keys.pair(kind, children));
}

/**
 * How many frames say where a task was created, for a reader: without the Node-internal
 * frames at the bottom (whoever resumed the code: they differ from one resumption to the
 * next and would split identical tasks), and for a child without what its parent's
 * frames already show (the frames below `spawn`, the parent's own creation).
 */
function ownFramesEnd(
  frames: readonly Frame[],
  parentFrames: readonly Frame[] | undefined,
): number {
  let end = frames.length;
  if (parentFrames !== undefined && parentFrames.length > 0) {
    let j = parentFrames.length;
    while (end > 0 && j > 0 && sameSite(frames[end - 1]!, parentFrames[j - 1]!)) {
      end--;
      j--;
    }
    for (let own = 0; own < end; own++) {
      if (frames[own]!.loopscope === true) {
        end = own;
        break;
      }
    }
  }
  return resumerEnd(frames, end);
}

function sameSite(a: Frame, b: Frame): boolean {
  return a.file === b.file && a.line === b.line && a.col === b.col && a.fn === b.fn;
}

/**
 * The end of `frames[0..end)` without its trailing Node-internal frames
 * (`processTicksAndRejections`, ...); `end` itself if that is all there is.
 */
function resumerEnd(frames: readonly Frame[], end: number = frames.length): number {
  let kept = end;
  while (kept > 0 && frames[kept - 1]!.internal === true) kept--;
  return kept === 0 ? end : kept;
}

function groupBySignature(nodes: readonly TreeNode[]): Group[] {
  const groups = new Map<number, Group>();
  // Tasks of one kind come in runs: the previous node's group is checked first.
  let lastSignature = 0; // no signature is 0
  let lastGroup: Group | undefined = undefined;
  for (const node of nodes) {
    let group: Group | undefined =
      node.signature === lastSignature ? lastGroup : groups.get(node.signature);
    if (group === undefined) {
      group = { nodes: [] };
      groups.set(node.signature, group);
    }
    group.nodes.push(node);
    lastSignature = node.signature;
    lastGroup = group;
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
  const one = nodes[0]!.task;
  const nested = nodes[0]!.parent !== undefined;
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
  const createdEnd = nodes[0]!.ownCreationEnd;
  if (createdEnd === 1 && nested) {
    lines.push(...render(one.createdAt, createdEnd, `${body}created `));
  } else if (createdEnd > 0) {
    lines.push(`${body}created at:`, ...render(one.createdAt, createdEnd, `${body}  `));
  } else if (one.id !== 0 && one.createdAt.length === 0) {
    lines.push(`${body}created at: (not sampled)`);
  }

  // Every subtree of the group has the same children's signatures: group them across
  // the whole group, in the order they were created.
  if (nodes[0]!.children.length === 0) return lines;
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
function collectFacts(nodes: readonly TreeNode[]): GroupFacts {
  const one = nodes[0]!.task;
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
  for (const { task } of nodes) {
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
  nodes: readonly TreeNode[],
  facts: GroupFacts,
  perParent: number,
  nested: boolean,
): string {
  const one = nodes[0]!.task;
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
      : `task ${one.id} "${one.name}" ${stateText}`;
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

function examples(nodes: readonly TreeNode[], count: number): string {
  const shown = nodes
    .slice(0, count)
    .map(({ task: t }) => (t.id === 0 ? `"${t.name}"` : `${t.id} "${t.name}"`));
  const more = nodes.length - shown.length;
  return `${shown.join(", ")}${more > 0 ? `, and ${more} more` : ""}`;
}

function busyLine(facts: GroupFacts): string {
  const { min: fewest, max: most } = facts.steps;
  const stepText = fewest === most ? steps(most) : `${fewest}–${most} steps`;
  return `busy ${range(facts.busy)}, idle ${range(facts.idle)}, ${stepText}`;
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

function oldest(group: Group): number {
  let max = 0;
  for (const node of group.nodes) if (node.task.ageMs > max) max = node.task.ageMs;
  return max;
}

/** `13 ms–3.0 s`, or `13 ms` when both ends read the same. */
function range(span: Span): string {
  const low = seconds(span.min);
  const high = seconds(span.max);
  return low === high ? low : `${low}–${high}`;
}

/** `0.4 ms`, `850 ms`, `2.1 s`, `3 min 5 s`: Go says "for 2 minutes". */
function seconds(ms: number): string {
  if (ms < 1000) return formatMs(ms);
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)} min ${total % 60} s`;
}
