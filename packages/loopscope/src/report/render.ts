import { relative, isAbsolute, sep } from "node:path";
import type { Frame, LoopscopeEvent, TaskRef, ErrorInfo } from "./types.js";
import { renderDump } from "./dump-text.js";

/** Options of {@link renderFrames}. */
export interface RenderFramesOptions {
  /**
   * Collapse each run of two or more Node-internal or loopscope frames into one line
   * (`... 3 node-internal frames`). A lone Node-internal frame is shown as it is (folding
   * it would not save a line); a run with loopscope's own frames is always folded, since
   * they are the debugger's bookkeeping, never the application's. Default `true`.
   */
  readonly fold?: boolean;
  /** Prefix of every line. Default four spaces. */
  readonly indent?: string;
}

/**
 * Render frames as text, one `at fn (file:line:col)` line each, innermost first.
 * Files under the current directory are shown relative to it.
 *
 * @example
 * ```ts
 * process.stderr.write(renderFrames(resolveStack(captureStack())) + "\n");
 * ```
 */
export function renderFrames(frames: readonly Frame[], options: RenderFramesOptions = {}): string {
  const fold = options.fold ?? true;
  const indent = options.indent ?? "    ";
  const lines: string[] = [];
  let i = 0;
  while (i < frames.length) {
    const frame = frames[i]!;
    const foldable = fold && (frame.internal === true || frame.loopscope === true);
    let end = i + 1;
    if (foldable) {
      while (end < frames.length && isFoldable(frames[end]!)) end++;
    }
    if (foldable && (end - i >= 2 || frame.loopscope === true)) {
      lines.push(`${indent}... ${end - i} ${foldedKind(frames.slice(i, end))}`);
    } else {
      for (let j = i; j < end; j++) lines.push(`${indent}at ${formatFrame(frames[j]!)}`);
    }
    i = end;
  }
  return lines.join("\n");
}

function isFoldable(frame: Frame): boolean {
  return frame.internal === true || frame.loopscope === true;
}

function foldedKind(run: readonly Frame[]): string {
  const internal = run.some((f) => f.internal === true);
  const own = run.some((f) => f.loopscope === true);
  const noun = run.length === 1 ? "frame" : "frames";
  if (internal && own) return `node-internal and loopscope ${noun}`;
  return `${internal ? "node-internal" : "loopscope"} ${noun}`;
}

/** `fn (file:line:col)`, or `fn (<anonymous>)` for frames without a position. */
export function formatFrame(frame: Frame): string {
  if (frame.line <= 0) return `${frame.fn} (${frame.file})`;
  return `${frame.fn} (${displayPath(frame.file)}:${frame.line}:${frame.col})`;
}

/** A path relative to the current directory when it is inside it: shorter, still clickable. */
export function displayPath(file: string): string {
  if (!isAbsolute(file)) return file;
  let cwd: string;
  try {
    cwd = process.cwd();
  } catch {
    return file;
  }
  const rel = relative(cwd, file);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return file;
  return rel.startsWith(`.${sep}`) ? rel : `.${sep}${rel}`;
}

/**
 * Human text for one event: a compact block, the first line saying what happened,
 * the following lines where. A `task-dump` is rendered by {@link renderDump}.
 * Never mutates the event. Unknown event types fall back to their JSON.
 */
export function renderEvent(event: LoopscopeEvent): string {
  switch (event.type) {
    case "task-dump":
      return renderDump(event);
    case "loop-blocked":
      return block(
        `event loop blocked for ${ms(event.durationMs)}${times(event.count)}${taskLabel(event.task)}`,
        event.note === undefined ? [] : [`  (${event.note})`],
        event.stack,
        event.task?.createdAt,
        "task created at:",
        event.task,
      );
    case "unhandled-rejection":
      return block(
        `unhandled rejection${taskLabel(event.task)}: ${errorLine(event.error)}`,
        [],
        event.stack.length > 0 ? event.stack : event.error.stack,
        event.createdAt,
      );
    case "task-exception-never-retrieved":
      return block(
        `task ${taskName(event.task)} failed and nobody retrieved its exception: ${errorLine(event.error)}`,
        [],
        event.stack.length > 0 ? event.stack : event.error.stack,
        event.task.createdAt,
        undefined,
        event.task,
      );
    case "blocking-call":
      return block(
        `blocking call ${event.call} took ${ms(event.durationMs)} on the main thread${taskLabel(event.task)} (${callsSince(event.count)})`,
        [],
        event.stack,
      );
    case "slow-callback":
      return block(
        `slow callback took ${ms(event.durationMs)}${taskLabel(event.task)}`,
        [],
        event.stack,
      );
    case "task-never-resumes":
      return block(
        `task ${taskName(event.task)} can never resume: it awaits a promise nothing can settle any more`,
        [],
        event.stack,
        event.task.createdAt,
        undefined,
        event.task,
      );
    default:
      return `loopscope: ${safeJson(event)}`;
  }
}

function block(
  headline: string,
  notes: readonly string[],
  stack: readonly Frame[],
  createdAt?: readonly Frame[],
  createdLabel = "created at:",
  task?: TaskRef,
): string {
  const lines = [`loopscope: ${headline}`, ...notes];
  if (stack.length > 0) lines.push(renderFrames(stack));
  if (createdAt !== undefined && createdAt.length > 0) {
    lines.push(`  ${createdLabel}`, renderFrames(createdAt));
  } else if (task?.ancestorCreatedAt !== undefined) {
    // Debug mode samples creation stacks under load: say so, and give the closest context.
    const ancestor = task.ancestorCreatedAt;
    const kin = ancestor.generations === 1 ? "parent" : "ancestor";
    lines.push(
      `  creation frames sampled out; ${kin} task ${ancestor.id} "${ancestor.name}" created at:`,
      renderFrames(ancestor.createdAt),
    );
  }
  return lines.join("\n");
}

function ms(value: number): string {
  return formatMs(value);
}

/**
 * A duration for people: whole milliseconds from 10 ms up, one decimal below (`2.5 ms`),
 * two below 1 ms (`0.4 ms`, `0.05 ms`): a blocking call of 0.4 ms is not "0 ms".
 *
 * @example
 * ```ts
 * formatMs(0.42); // "0.42 ms"
 * formatMs(150.4); // "150 ms"
 * ```
 */
export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return `${String(value)} ms`;
  if (value >= 10) return `${Math.round(value)} ms`;
  if (value <= 0) return "0 ms";
  const rounded = Number(value.toFixed(value < 1 ? 2 : 1));
  return rounded === 0 ? "<0.01 ms" : `${rounded} ms`;
}

/** A blocking call's `count`: the calls from its line this report stands for. */
function callsSince(count: number): string {
  return count === 1
    ? "1 call from this line"
    : `${count} calls from this line since its last report, this one timed`;
}

function times(count: number): string {
  return count > 1 ? ` (${count} times)` : "";
}

function taskName(task: TaskRef): string {
  return `${task.id} "${task.name}"`;
}

function taskLabel(task: TaskRef | undefined): string {
  return task === undefined ? "" : ` in task ${taskName(task)}`;
}

function errorLine(error: ErrorInfo): string {
  return error.message === "" ? error.name : `${error.name}: ${error.message}`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
