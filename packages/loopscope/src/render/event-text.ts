import type { ErrorInfo, Frame, LoopscopeEvent, TaskRef } from "../protocol/index.js";
import { renderDump } from "./dump-text.js";
import { formatMs, renderFrames } from "./frames-text.js";
import { renderRecorderSummary } from "./recorder-text.js";
import { describeStall } from "./stall-text.js";
import { taskLabel } from "./task-label.js";

/**
 * Human text for one event: a compact block, the first line saying what happened,
 * the following lines where. A `task-dump` is rendered by {@link renderDump}.
 * Never mutates the event. Unknown event types fall back to their JSON.
 */
export function renderEvent(event: LoopscopeEvent): string {
  switch (event.type) {
    case "task-dump":
      return renderDump(event);
    case "loop-blocked": {
      const stall = describeStall(event);
      const notes = [...stall.notes];
      if (stall.stackLabel !== undefined && event.stack.length > 0) {
        notes.push(`  ${stall.stackLabel}`);
      }
      const text = block(
        `${stall.headline}${times(event.count)}${inTask(event.task)}`,
        notes,
        stall.showStack ? event.stack : [],
        event.task?.createdAt,
        "task created at:",
        event.task,
      );
      return event.recorder === undefined
        ? text
        : `${text}\n  what led up to it:\n${indent(renderRecorderSummary(event.recorder), "    ")}`;
    }
    case "unhandled-rejection":
      return block(
        `unhandled rejection${inTask(event.task)}: ${errorLine(event.error)}`,
        [],
        event.stack.length > 0 ? event.stack : event.error.stack,
        event.createdAt,
      );
    case "task-exception-never-retrieved":
      return block(
        `${taskLabel(event.task)} failed and nobody retrieved its exception: ${errorLine(event.error)}`,
        [],
        event.stack.length > 0 ? event.stack : event.error.stack,
        event.task.createdAt,
        undefined,
        event.task,
      );
    case "blocking-call":
      return block(
        `blocking call ${event.call} took ${formatMs(event.durationMs)} on the main thread${inTask(event.task)} (${callsSince(event.count)})`,
        [],
        event.stack,
      );
    case "slow-callback":
      return block(
        `slow callback took ${formatMs(event.durationMs)}${inTask(event.task)}`,
        [],
        event.stack,
      );
    case "task-never-resumes":
      return block(
        `${taskLabel(event.task)} can never resume: it awaits a promise nothing can settle any more`,
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

/** A blocking call's `count`: the calls from its line this report stands for. */
function callsSince(count: number): string {
  return count === 1
    ? "1 call from this line"
    : `${count} calls from this line since its last report, this one timed`;
}

function indent(text: string, pad: string): string {
  return text
    .split("\n")
    .map((line) => pad + line)
    .join("\n");
}

function times(count: number): string {
  return count > 1 ? ` (${count} times)` : "";
}

function inTask(task: TaskRef | undefined): string {
  return task === undefined ? "" : ` in ${taskLabel(task)}`;
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
