import { relative, isAbsolute, sep } from "node:path";
import type { Frame } from "../protocol/index.js";
import { isApplicationFrame } from "../protocol/index.js";

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
    const foldable = fold && !isApplicationFrame(frame);
    let end = i + 1;
    if (foldable) {
      while (end < frames.length && !isApplicationFrame(frames[end]!)) end++;
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

/** `0.4 ms`, `850 ms`, `2.1 s`, `3 min 5 s`: the unit that reads best (Go says "for 2 minutes"). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return formatMs(ms);
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)} min ${total % 60} s`;
}
