import type { RecorderEntry, RecorderWindow } from "../protocol/index.js";
import { formatDuration, formatMs } from "./frames-text.js";
import { taskLabel } from "./task-label.js";

/** Entries the summary lists: the last ones before the window's end. */
const SUMMARY_ENTRIES = 10;

/**
 * A few lines on what led up to the end of a flight-recorder window, for a report that
 * carries one (a loop-blocked report): the tasks started in its last second (how many, the
 * most common names) and its last {@link SUMMARY_ENTRIES} entries, each with its time
 * before the end (`-0.32 s`). No trailing newline; lines not indented.
 *
 * @example
 * ```
 * tasks started in the last second: 9812 (of the last 3584 recorded: handle 1792, save 1700)
 * the last 3 of 3612 entries in 10.0 s (612 omitted, 86000 dropped by the recorder's bounds):
 *    -0.41 s  gc          major, 12 ms
 *    -0.02 s  task-start  task 9811 "handle cattle-ab12"
 *    -0.01 s  task-end    task 9790 "save cattle-9f0c": failed
 * ```
 */
export function renderRecorderSummary(window: RecorderWindow): string {
  const shown = window.entries.slice(-SUMMARY_ENTRIES);
  const lines = [startsLine(window)];
  if (shown.length === 0) {
    lines.push(`nothing recorded in the last ${formatDuration(window.until - window.from)}`);
  } else {
    lines.push(
      `the last ${shown.length} of ${entriesCount(window)} in ${formatDuration(window.until - window.from)}${losses(window)}:`,
    );
    lines.push(...entryLines(shown, window.until));
  }
  return lines.join("\n");
}

/**
 * The whole window as text, for `loopscope dump <pid> --recorder`: a header (its span,
 * what was left out), the tasks started in its last second, then every entry, oldest
 * first, each with its time before the end. No trailing newline.
 */
export function renderRecorder(window: RecorderWindow): string {
  const span = formatDuration(window.until - window.from);
  const lines = [
    `loopscope flight recorder: ${span} up to ${new Date(window.until).toISOString()}, ${entriesCount(window)}${losses(window)}`,
    startsLine(window),
  ];
  if (window.entries.length > 0) lines.push("", ...entryLines(window.entries, window.until));
  return lines.join("\n");
}

function startsLine(window: RecorderWindow): string {
  const starts = window.startsLastSecond;
  if (starts === undefined || starts.count === 0) return "no task started in the last second";
  const names = starts.names.map((name) => `${name.name} ${name.count}`).join(", ");
  if (names === "") return `tasks started in the last second: ${starts.count}`;
  const of = starts.seen < starts.count ? `of the last ${starts.seen} recorded: ` : "";
  return `tasks started in the last second: ${starts.count} (${of}${names})`;
}

function entriesCount(window: RecorderWindow): string {
  const count = window.entries.length + window.omitted;
  return `${count} ${count === 1 ? "entry" : "entries"}`;
}

/** What the window does not hold: left out of it, dropped by the ring before, not recorded. */
function losses(window: RecorderWindow): string {
  const parts: string[] = [];
  if (window.omitted > 0) parts.push(`${window.omitted} omitted`);
  if (window.dropped > 0) parts.push(`${window.dropped} dropped by the recorder's bounds`);
  const sampling = window.taskSampling;
  if (sampling !== undefined && sampling.skipped > 0) {
    parts.push(`tasks recorded 1 in ${sampling.oneIn} under load`);
  }
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}

function entryLines(entries: readonly RecorderEntry[], until: number): string[] {
  const width = Math.max(...entries.map((entry) => entry.kind.length));
  return entries.map(
    (entry) =>
      `  ${relative(entry.time, until).padStart(8)}  ${entry.kind.padEnd(width)}  ${describe(entry)}`,
  );
}

/** `-0.32 s`: seconds before the window's end. */
function relative(time: number, until: number): string {
  const seconds = (time - until) / 1000;
  // `-0.00 s` for the last instant, never `0.00 s` or `+0.00 s`: everything is before the end.
  return `${seconds > 0 ? "+" : "-"}${Math.abs(seconds).toFixed(2)} s`;
}

function describe(entry: RecorderEntry): string {
  const parts: string[] = [];
  if (entry.task !== undefined) parts.push(taskLabel(entry.task));
  const what: string[] = [];
  if (entry.detail !== undefined && entry.detail !== "") what.push(entry.detail);
  if (entry.durationMs !== undefined) what.push(formatMs(entry.durationMs));
  if (what.length > 0) parts.push(what.join(", "));
  return parts.join(": ");
}
