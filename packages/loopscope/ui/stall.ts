/**
 * How the dashboard says why the loop stalled (a `loop-blocked` event's `cause` and
 * `evidence`) and what the flight recorder saw before it: text for people, pure.
 */
import type {
  Frame,
  LoopBlockedEvent,
  RecorderEntry,
  RecorderWindow,
  StallCause,
  StallEvidence,
} from "../src/protocol/index.js";
import { formatCount, formatDuration, leadingFrame, shortLocation } from "./format.js";

/**
 * The event's cause; `unknown` for a report without one (a producer of the same protocol
 * from before causes were reported: fields are added without a version step).
 */
export function causeOf(event: LoopBlockedEvent): StallCause {
  return event.cause ?? "unknown";
}

export function evidenceOf(event: LoopBlockedEvent): StallEvidence {
  return event.evidence ?? {};
}

/** `holdTheLoop (inspector/app.js:52)`. */
export function frameText(frame: Frame): string {
  return `${frame.fn || "<anonymous>"} (${shortLocation(frame)})`;
}

/** The cause in a few words, with its key figure: `native call JSON.parse`, `garbage collection 640 ms`. */
export function causeWords(event: LoopBlockedEvent): string {
  const evidence = evidenceOf(event);
  switch (causeOf(event)) {
    case "javascript":
      return "JavaScript";
    case "native-call":
      return evidence.nativeCall ? `native call ${evidence.nativeCall}` : "a native call";
    case "many-callbacks":
      return `many short callbacks (≥ ${evidence.callbacks ?? 2})`;
    case "gc":
      return `garbage collection${evidence.gcMs === undefined ? "" : ` ${formatDuration(evidence.gcMs)}`}`;
    case "host-paused":
      return "process not running";
    default:
      return "cause unknown";
  }
}

/**
 * The code a summary names, by cause: the blocking line, the line that made the native
 * call, or the callback seen most; none for a GC or a paused process (no line to blame).
 */
export function blamedText(event: LoopBlockedEvent): string {
  switch (causeOf(event)) {
    case "many-callbacks": {
      const seen = evidenceOf(event).functions?.[0];
      return seen ? `seen most ${frameText(seen.frame)}` : "";
    }
    case "gc":
    case "host-paused":
      return "";
    default: {
      const frame = leadingFrame(event.stack);
      return frame ? `at ${frameText(frame)}` : "";
    }
  }
}

/**
 * One line for the event log: `blocked 1.20 s · native call JSON.parse · at handle
 * (app/server.js:12)`, `stalled 261 ms · many short callbacks (≥ 12) · seen most tick
 * (app.js:20)`, `paused 600 ms · process not running`.
 */
export function blockSummary(event: LoopBlockedEvent): string {
  const cause = causeOf(event);
  const verb =
    cause === "host-paused" ? "paused" : cause === "many-callbacks" ? "stalled" : "blocked";
  const parts = [
    `${verb} ${formatDuration(event.durationMs)}${event.count > 1 ? ` (×${event.count})` : ""}`,
    causeWords(event),
  ];
  const blamed = blamedText(event);
  if (blamed) parts.push(blamed);
  if (event.task) parts.push(`in task #${event.task.id} ${event.task.name}`);
  return parts.join(" · ");
}

/** What the cause means, in a sentence: the kind of fix to look for. */
export function causeSentence(event: LoopBlockedEvent): string {
  const evidence = evidenceOf(event);
  switch (causeOf(event)) {
    case "javascript":
      return "One callback's JavaScript held the loop; the stack is where it ran.";
    case "native-call":
      return `A call into native code${evidence.nativeCall ? `, ${evidence.nativeCall},` : ""} held the thread; the stack starts at the line that made the call.`;
    case "many-callbacks":
      return "One turn of the loop ran many short callbacks, none of them long: look at where they are scheduled.";
    case "gc":
      return "Garbage collection held the thread for most of the stall; the stack is what ran when it collected.";
    case "host-paused":
      return "The whole process was not running (stopped, throttled, or the host took the CPU): every thread was late by as much, and no line is to blame.";
    default:
      return "Nothing the watchdog saw tells why (no capture, or durations only).";
  }
}

/** What the stack of a block is, by its cause. */
export function stackTitle(event: LoopBlockedEvent): string {
  switch (causeOf(event)) {
    case "native-call":
      return "called at";
    case "gc":
      return "running when it collected";
    case "many-callbacks":
      return "last captured";
    default:
      return "blocking code";
  }
}

/** The evidence as label and value pairs, only the figures there are. */
export function evidenceFacts(evidence: StallEvidence): [string, string][] {
  const facts: [string, string][] = [];
  if (evidence.cpuMs !== undefined) facts.push(["main-thread CPU", formatDuration(evidence.cpuMs)]);
  if (evidence.gcMs !== undefined) facts.push(["GC", formatDuration(evidence.gcMs)]);
  if (evidence.pausedMs !== undefined && evidence.pausedMs > 0) {
    facts.push(["not running", formatDuration(evidence.pausedMs)]);
  }
  if (evidence.captures !== undefined) facts.push(["captures", formatCount(evidence.captures)]);
  if (evidence.callbacks !== undefined) {
    facts.push(["callbacks", `≥ ${formatCount(evidence.callbacks)}`]);
  }
  if (evidence.nativeCall !== undefined) facts.push(["native call", evidence.nativeCall]);
  return facts;
}

/** `−0.42 s` (U+2212): seconds from `end`, `+` for after it. */
export function relativeSeconds(time: number, end: number): string {
  const seconds = (time - end) / 1000;
  const text = Math.abs(seconds).toFixed(2);
  if (text === "0.00") return "−0.00 s";
  return `${seconds > 0 ? "+" : "−"}${text} s`;
}

/** An entry without its time and kind: `#12 handle cattle-ab12 · done`, `major · 12 ms`. */
export function entryText(entry: RecorderEntry): string {
  const parts: string[] = [];
  if (entry.task) parts.push(`#${entry.task.id} ${entry.task.name}`);
  if (entry.detail) parts.push(entry.detail);
  if (entry.durationMs !== undefined) parts.push(formatDuration(entry.durationMs));
  return parts.join(" · ");
}

/** `tasks started in the last second: 9,812 (handle 1,792, save 1,792)`, or nothing. */
export function startsText(window: RecorderWindow): string {
  const starts = window.startsLastSecond;
  if (!starts || starts.count === 0) return "no task started in the last second";
  const names = starts.names.map((name) => `${name.name} ${formatCount(name.count)}`).join(", ");
  const of =
    names && starts.seen < starts.count ? `of the last ${formatCount(starts.seen)} recorded: ` : "";
  return `tasks started in the last second: ${formatCount(starts.count)}${names ? ` (${of}${names})` : ""}`;
}

/** What the window does not hold: `12 omitted · 3,400 dropped by the recorder's bounds`. */
export function lossesText(window: RecorderWindow): string {
  return [
    `${formatCount(window.omitted)} omitted to keep it bounded`,
    `${formatCount(window.dropped)} dropped by the recorder's bounds since the start`,
  ].join(" · ");
}
