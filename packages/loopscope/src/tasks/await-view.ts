import { resolveStack } from "../stacks/index.js";
import { displayPath, taskLabel } from "../render/index.js";
import type { AwaitKind, Awaiting, Frame } from "../protocol/index.js";
import type { AwaitRecord } from "./debug-hooks.js";
import { pendingAwaits } from "./debug-hooks.js";
import { creationOf } from "./promise-tags.js";
import type { TaskImpl } from "./task.js";

/** What one suspended async call waits on, resolved for a dump. */
export interface ResolvedAwait {
  readonly record: AwaitRecord;
  readonly awaiting: Awaiting;
}

/** The dump's view of debug mode's records: per task, and the calls outside any task. */
export interface AwaitView {
  readonly byTask: Map<TaskImpl, ResolvedAwait>;
  readonly untracked: ResolvedAwait[];
}

/**
 * Resolve the pending awaits into "what each task waits on now".
 *
 * A chain of async calls suspended inside each other leaves one record per call; the
 * innermost one's stack already lists the outer ones as `async` frames (V8's async
 * stack traces read the suspended callers' positions). So a record whose await line
 * appears as an outer frame of another record is folded into that one, and each task
 * shows its innermost, oldest suspended call.
 */
export function resolveAwaits(nowMs: number): AwaitView {
  // Identical stacks resolve to one array (see `withFrameCache`): each distinct one is
  // trimmed, and its outer frames noted, once; `null` marks a stack that is no await.
  const trimmedOf = new Map<readonly Frame[], readonly Frame[] | null>();
  const records: AwaitRecord[] = [];
  const framesOf: (readonly Frame[])[] = [];
  const outerSites = new SiteSet();
  for (const record of pendingAwaits.values()) {
    const resolved = resolveStack(record.raw);
    let trimmed = trimmedOf.get(resolved);
    if (trimmed === undefined) {
      const frames = withoutHookFrames(resolved);
      const top = frames[0];
      // `p.then()` (a built-in at the top) and loopscope's own bookkeeping are not awaits.
      if (top === undefined || top.line <= 0 || top.loopscope === true) {
        trimmed = null;
      } else {
        trimmed = withoutResumer(untilLoopscope(frames));
        for (let i = 1; i < frames.length; i++) outerSites.add(frames[i]!);
      }
      trimmedOf.set(resolved, trimmed);
    }
    if (trimmed === null) continue;
    records.push(record);
    framesOf.push(trimmed);
  }
  const byTask = new Map<TaskImpl, ResolvedAwait>();
  const untracked: ResolvedAwait[] = [];
  const sites = new CreationSites();
  const folded = new Map<readonly Frame[], boolean>();
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const frames = framesOf[i]!;
    let outer = folded.get(frames);
    if (outer === undefined) {
      outer = outerSites.has(frames[0]!);
      folded.set(frames, outer);
    }
    if (outer) continue;
    // Records come in the order they were made (a Map keeps insertion order): a task's
    // first one is its oldest.
    if (record.task !== undefined && byTask.has(record.task)) continue;
    const description = describeAwait(record, frames, sites);
    const resolved: ResolvedAwait = {
      record,
      awaiting: {
        kind: description.kind,
        what: description.what,
        at: frames,
        sinceMs: nowMs - record.sinceMs,
      },
    };
    if (record.task === undefined) untracked.push(resolved);
    else byTask.set(record.task, resolved);
  }
  return { byTask, untracked };
}

/**
 * When several promise hooks are installed (the test runner, async_hooks users), Node
 * calls ours from its dispatcher: that frame sits above the await and is not the await.
 */
function withoutHookFrames(frames: readonly Frame[]): readonly Frame[] {
  let start = 0;
  while (start < frames.length && frames[start]!.file === "node:internal/promise_hooks") start++;
  return start === 0 ? frames : frames.slice(start);
}

/**
 * An await captured at a task's first suspension still has the synchronous callers
 * below it: `spawn` and whoever spawned. Those are the task's creation context, shown
 * apart, so the await frames stop at loopscope's own.
 */
function untilLoopscope(frames: readonly Frame[]): readonly Frame[] {
  const end = frames.findIndex((f) => f.loopscope === true);
  return end === -1 ? frames : frames.slice(0, end);
}

/**
 * Node-internal frames below the outermost application frame are whoever resumed the
 * call (`processTimers`, `processTicksAndRejections`), which differs from one resumption
 * to the next: they say nothing about the await and would split identical tasks into
 * separate groups of the dump. A call with no application frame keeps them all.
 */
function withoutResumer(frames: readonly Frame[]): readonly Frame[] {
  let end = frames.length;
  while (end > 0 && frames[end - 1]!.internal === true) end--;
  return end === 0 || end === frames.length ? frames : frames.slice(0, end);
}

/**
 * Source positions (`file:line:col`), without a string per frame: a dump in debug mode
 * reads every frame of every pending await.
 */
class SiteSet {
  private readonly byFile = new Map<string, Map<number, Set<number>>>();

  add(frame: Frame): void {
    let byLine = this.byFile.get(frame.file);
    if (byLine === undefined) {
      byLine = new Map();
      this.byFile.set(frame.file, byLine);
    }
    let cols = byLine.get(frame.line);
    if (cols === undefined) {
      cols = new Set();
      byLine.set(frame.line, cols);
    }
    cols.add(frame.col);
  }

  has(frame: Frame): boolean {
    return this.byFile.get(frame.file)?.get(frame.line)?.has(frame.col) === true;
  }
}

/** What an await waits on: its kind for clients, its text for people. */
export interface AwaitDescription {
  readonly kind: AwaitKind;
  readonly what: string;
}

const UNKNOWN: AwaitDescription = { kind: "unknown", what: "unknown" };

/**
 * `promise created at ./src/x.ts:12`, one description per site: thousands of tasks
 * awaiting promises made on one line share it, and the path is shortened once, not per task.
 */
export class CreationSites {
  private readonly byFile = new Map<string, Map<number, AwaitDescription>>();
  /** By creation stack (identical stacks share an array during a dump). */
  private readonly byStack = new Map<readonly Frame[], AwaitDescription | undefined>();
  /** By the top frame of a call suspended in Node's own code. */
  private readonly byInternalFrame = new Map<Frame, AwaitDescription>();

  /** What an await on a promise created by this stack says (`undefined`: nothing known). */
  ofCreation(created: readonly Frame[]): AwaitDescription | undefined {
    if (this.byStack.has(created)) return this.byStack.get(created);
    const creation = withoutHookFrames(created);
    const site = creation.find((f) => f.line > 0);
    let description: AwaitDescription | undefined;
    if (site?.internal === true) description = this.internal(site);
    else if (site !== undefined) description = this.describe(site.file, site.line);
    this.byStack.set(created, description);
    return description;
  }

  /** {@link describeInternal}, once per frame. */
  internal(frame: Frame): AwaitDescription {
    let description = this.byInternalFrame.get(frame);
    if (description === undefined) {
      description = describeInternal(frame);
      this.byInternalFrame.set(frame, description);
    }
    return description;
  }

  describe(file: string, line: number): AwaitDescription {
    let byLine = this.byFile.get(file);
    if (byLine === undefined) {
      byLine = new Map();
      this.byFile.set(file, byLine);
    }
    let description = byLine.get(line);
    if (description === undefined) {
      // Shortened as frames are rendered, so the text dump and its frames agree.
      description = { kind: "promise", what: `promise created at ${displayPath(file)}:${line}` };
      byLine.set(line, description);
    }
    return description;
  }
}

/**
 * The kind of thing awaited, from what is known for sure: the awaited promise is a
 * task's, or a timers/promises timer; Node's own code is suspended (file, stream, ...);
 * or where the awaited promise was created (`promise created at ./src/x.ts:12`, the
 * path relative to the current directory when inside it). Otherwise "unknown".
 */
export function describeAwait(
  record: AwaitRecord,
  frames: readonly Frame[],
  sites: CreationSites = new CreationSites(),
): AwaitDescription {
  if (record.awaitedTask !== undefined) {
    return { kind: "task", what: taskLabel(record.awaitedTask) };
  }
  if (record.timerMs >= 0) return { kind: "timer", what: `timer ${record.timerMs} ms` };
  const top = frames[0];
  if (top?.internal === true) return sites.internal(top);
  const awaited = record.awaited.deref();
  const created = awaited === undefined ? undefined : creationOf(awaited);
  if (created !== undefined) {
    const description = sites.ofCreation(resolveStack(created));
    if (description !== undefined) return description;
  }
  return UNKNOWN;
}

/** Node's own code the task waits in, named by its module and function. */
function describeInternal(frame: Frame): AwaitDescription {
  const file = frame.file;
  const fn = frame.fn.replace(/^async /, "");
  if (file.includes("/fs/") || file === "node:fs" || file.startsWith("node:fs/")) {
    return { kind: "file", what: `file operation (${fn})` };
  }
  if (
    file === "node:net" ||
    file.includes("stream_base") ||
    file.includes("/streams/") ||
    file.startsWith("node:stream")
  ) {
    return { kind: "stream", what: `socket or stream read (${fn})` };
  }
  if (file.includes("timers")) return { kind: "timer", what: `timer (${fn})` };
  if (file === "node:events") return { kind: "event", what: `event (events.${fn})` };
  if (file.includes("dns")) return { kind: "dns", what: `dns lookup (${fn})` };
  if (file.includes("child_process")) {
    return { kind: "child-process", what: `child process (${fn})` };
  }
  return { kind: "node", what: `node-internal ${fn} (${file})` };
}
