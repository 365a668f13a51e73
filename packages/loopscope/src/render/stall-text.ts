import type { LoopBlockedEvent, StallEvidence } from "../protocol/index.js";
import { formatFrame, formatMs } from "./frames-text.js";

/**
 * The first line of a `loop-blocked` report and the lines under it that say why, before
 * the stack: the cause in words, so a reader knows what kind of fix to look for (a slow
 * line, a fan-out, a native call, the heap, the host).
 */
export interface StallText {
  readonly headline: string;
  readonly notes: readonly string[];
  /** What the stack, if any, is: the blocking line, the calling line, what ran most. */
  readonly stackLabel?: string;
  /** Whether to print the stack: not for many callbacks, whose callbacks are listed instead. */
  readonly showStack: boolean;
}

/** The headline and notes of a `loop-blocked` event, by its cause. */
export function describeStall(event: LoopBlockedEvent): StallText {
  const duration = formatMs(event.durationMs);
  const evidence = event.evidence;
  const notes: string[] = [];
  let headline: string;
  let stackLabel: string | undefined;
  switch (event.cause) {
    case "javascript":
      headline = `event loop blocked for ${duration} by JavaScript`;
      break;
    case "native-call":
      headline =
        evidence.nativeCall === undefined
          ? `event loop blocked for ${duration} by a native call`
          : `event loop blocked for ${duration} by a native call, ${evidence.nativeCall}`;
      if (evidence.nativeCall !== undefined) stackLabel = "called at:";
      break;
    case "many-callbacks":
      headline =
        `event loop stalled for ${duration} by many short callbacks in one turn ` +
        `(at least ${evidence.callbacks ?? 2}), none of them long`;
      notes.push(...seenMostLines(evidence));
      break;
    case "gc":
      headline = `event loop blocked for ${duration} by garbage collection (${formatMs(evidence.gcMs ?? 0)} collecting)`;
      stackLabel = "running when it collected:";
      break;
    case "host-paused":
      headline = `process paused for ${duration}: not running (stopped, throttled, or the host took the CPU), no code to blame`;
      break;
    default:
      headline = `event loop blocked for ${duration}, cause unknown`;
  }
  if (event.note !== undefined) notes.push(`  (${event.note})`);
  if (event.cause !== "host-paused" && evidence.pausedMs !== undefined && evidence.pausedMs > 0) {
    notes.push(
      `  (the process was also not running for ${formatMs(evidence.pausedMs)} during it, not counted above)`,
    );
  }
  const line = evidenceLine(evidence);
  if (line !== "") notes.push(`  evidence: ${line}`);
  return {
    headline,
    notes,
    showStack: event.cause !== "many-callbacks",
    ...(stackLabel === undefined ? {} : { stackLabel }),
  };
}

/** `many-callbacks`: the functions the captures found most. */
function seenMostLines(evidence: StallEvidence): string[] {
  const functions = evidence.functions ?? [];
  if (functions.length === 0) return [];
  return [
    "  callbacks seen most:",
    ...functions.map(
      ({ frame, seen }) =>
        `    ${formatFrame(frame)} (${seen} of ${evidence.captures ?? seen} captures)`,
    ),
  ];
}

/** The measured figures, compact: `CPU 1190 ms, GC 3 ms, 5 captures in 1 callback`. */
function evidenceLine(evidence: StallEvidence): string {
  const parts: string[] = [];
  if (evidence.cpuMs !== undefined) parts.push(`main-thread CPU ${formatMs(evidence.cpuMs)}`);
  if (evidence.gcMs !== undefined) parts.push(`GC ${formatMs(evidence.gcMs)}`);
  if (evidence.captures !== undefined) {
    const callbacks = evidence.callbacks ?? 1;
    parts.push(
      `${evidence.captures} ${evidence.captures === 1 ? "capture" : "captures"} in ` +
        `${callbacks} ${callbacks === 1 ? "callback" : "callbacks"}`,
    );
  }
  return parts.join(", ");
}
