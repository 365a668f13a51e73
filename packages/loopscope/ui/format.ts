/** How the dashboard writes numbers, times and frames for people. */
import type { Frame } from "../src/protocol/index.js";

/** `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.floor(seconds % 60)).padStart(2, "0")} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** Delay figures in the chart and the banner: milliseconds with sensible precision. */
export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(0)} ms`;
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 || value >= 100 ? 0 : 1)} ${BYTE_UNITS[unit]}`;
}

/** Local wall-clock time with milliseconds: events are often close together. */
export function formatClock(epochMs: number): string {
  const date = new Date(epochMs);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** `12,345`; by hand, since Intl's formatting costs more than the rest of a table row. */
export function formatCount(n: number): string {
  const digits = String(Math.trunc(Math.abs(n)));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return n < 0 ? `-${grouped}` : grouped;
}

/** Node's code and loopscope's own: folded unless the reader asks for every frame. */
export function isFoldedFrame(frame: Frame): boolean {
  return frame.internal === true || frame.loopscope === true;
}

/** `file:line:col`. */
export function frameLocation(frame: Frame): string {
  return `${frame.file}:${frame.line}:${frame.col}`;
}

/** The first application frame, or the first frame: the line a summary names. */
export function leadingFrame(frames: readonly Frame[]): Frame | undefined {
  return frames.find((frame) => !isFoldedFrame(frame)) ?? frames[0];
}

/** The last two path segments: enough to recognise a file in a narrow column. */
export function shortFile(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts.slice(-2).join("/");
}

export function shortLocation(frame: Frame): string {
  return `${shortFile(frame.file)}:${frame.line}`;
}

/** A file name for a download: `2024-05-01T12-30-05Z`, no characters file systems dislike. */
export function fileTimestamp(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
}
