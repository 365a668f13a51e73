import type { Frame, TaskDumpEvent, TaskSnapshot } from "../protocol/index.js";
import { DumpKeys } from "./dump-keys.js";

/**
 * Subtrees of a task dump that read the same, shown once: same name shape (the name's
 * first word), same creation frames, same state, same kind of await at the same place,
 * same children. What any client (the text dump, a web page, a terminal console) shows
 * as one block with a count, so 10,000 handlers waiting on one line read as one.
 */
export interface TaskGroup {
  /** One task per subtree, in dump order: the group's size is `tasks.length`. */
  readonly tasks: readonly TaskSnapshot[];
  /** Its tasks' parents are pending: the group sits under its parent group. */
  readonly nested: boolean;
  /**
   * How many of each task's creation frames (`createdAt[0..ownCreationFrames)`) say
   * something new: without the Node-internal frames of whoever resumed the code, and
   * for a nested group without what its parent's frames already show.
   */
  readonly ownCreationFrames: number;
  /**
   * The tasks' pending children, grouped across the whole group, in creation order:
   * each task of this group has `child.tasks.length / tasks.length` of each.
   */
  readonly children: readonly TaskGroup[];
}

/** A task dump as groups of identical subtrees: {@link groupTasks}. */
export interface GroupedTasks {
  /** The top-level groups, largest first, then the one with the oldest task. */
  readonly groups: readonly TaskGroup[];
  /** How many tasks the groups hold, nested ones included. */
  readonly taskCount: number;
  /** How many of them are top-level (their parent, if any, is not pending). */
  readonly rootCount: number;
  /**
   * Node's own pending async calls (`internal: true`, module loading for one): not the
   * application's, left out of the groups.
   */
  readonly internal: readonly TaskSnapshot[];
}

/**
 * Group a dump's tasks: children nested under their pending parent, and identical
 * subtrees one group. Pure: reads the snapshot, keeps nothing. Fast on large dumps
 * (100,000 tasks): every comparison is between small integers, nothing is built per task.
 */
export function groupTasks(dump: Pick<TaskDumpEvent, "tasks">): GroupedTasks {
  return groupTasksWith(dump, new DumpKeys());
}

/** {@link groupTasks} with the caller's keys, so the caller can reuse their ids (the text dump's frame text). */
export function groupTasksWith(dump: Pick<TaskDumpEvent, "tasks">, keys: DumpKeys): GroupedTasks {
  const internal = dump.tasks.filter((task) => task.internal === true);
  // Usually none is internal: no second array of every task then.
  const shown =
    internal.length === 0 ? dump.tasks : dump.tasks.filter((task) => task.internal !== true);
  const roots = buildForest(shown);
  for (const root of roots) sign(root, keys);
  const groups = groupBySignature(roots);
  groups.sort((a, b) => b.nodes.length - a.nodes.length || oldest(b) - oldest(a));
  return {
    groups: groups.map(toTaskGroup),
    taskCount: shown.length,
    rootCount: roots.length,
    internal,
  };
}

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
export function resumerEnd(frames: readonly Frame[], end: number = frames.length): number {
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

/** The public shape of a group, its children grouped across all its subtrees. */
function toTaskGroup(group: Group): TaskGroup {
  const nodes = group.nodes;
  const first = nodes[0]!;
  let children: TaskGroup[] = [];
  if (first.children.length > 0) {
    const groups = groupBySignature(nodes.flatMap((n) => n.children));
    groups.sort((a, b) => firstId(a) - firstId(b));
    children = groups.map(toTaskGroup);
  }
  return {
    tasks: nodes.map((node) => node.task),
    nested: first.parent !== undefined,
    ownCreationFrames: first.ownCreationEnd,
    children,
  };
}

function oldest(group: Group): number {
  let max = 0;
  for (const node of group.nodes) if (node.task.ageMs > max) max = node.task.ageMs;
  return max;
}

function firstId(group: Group): number {
  let min = Infinity;
  for (const node of group.nodes) if (node.task.id < min) min = node.task.id;
  return min;
}

/** Tasks awaiting different tasks still group: the kind, not the id, is compared. */
function kindKey(task: TaskSnapshot): string {
  const awaiting = task.awaiting;
  if (awaiting === undefined) return "";
  return awaiting.kind === "task" ? "task" : awaiting.what;
}
