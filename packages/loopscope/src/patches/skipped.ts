/**
 * What loopscope could not patch, wrap or hook in this process, and why. loopscope never
 * throws into the application for it: the wrapper is skipped, counted here, and said once
 * on stderr (see {@link sayNewSkips}); everything else stays on.
 */

/** One thing loopscope left alone. */
export interface SkippedPatch {
  /** What was not installed: `zlib.createZipArchiveSync`, `Error.stackTraceLimit`, `process.emit`. */
  readonly target: string;
  /** Why, in a few words: `read-only property`, `object is frozen`, the error's message. */
  readonly reason: string;
  /** What the user goes without, when it is not obvious from the target. */
  readonly effect?: string;
}

/** Distinct skips kept for the diagnostic; past it they are only counted. */
const MAX_KEPT = 500;

const kept: SkippedPatch[] = [];
const keys = new Set<string>();
let notKept = 0;
/** Index in `kept` up to which the skips have been said on stderr. */
let said = 0;

/** Record a skip (once per target and reason). Never throws. */
export function recordSkip(skip: SkippedPatch): void {
  const key = `${skip.target}\0${skip.reason}`;
  if (keys.has(key)) return;
  if (kept.length >= MAX_KEPT) {
    notKept++;
    return;
  }
  keys.add(key);
  kept.push(skip);
}

/** Everything skipped so far in this process, in order. */
export function skippedPatches(): {
  readonly skipped: readonly SkippedPatch[];
  readonly notListed: number;
} {
  return { skipped: [...kept], notListed: notKept };
}

/**
 * Write one line on stderr naming the skips not said yet, if any (start-up, and
 * `setDebug(true)` later). Never throws.
 */
export function sayNewSkips(write: (line: string) => void = writeStderr): void {
  if (said >= kept.length) return;
  const fresh = kept.slice(said);
  said = kept.length;
  try {
    write(`loopscope: ${describeSkips(fresh, notKept)}; loopscope goes on without them\n`);
  } catch {
    // stderr closed: nothing else to say it on.
  }
}

function writeStderr(line: string): void {
  process.stderr.write(line);
}

/**
 * `2 wrappers not installed: fs.*Sync (47 of them: object is frozen), Atomics.wait
 * (read-only property)`. Targets sharing a prefix and a reason are folded together.
 */
export function describeSkips(skips: readonly SkippedPatch[], notListed = 0): string {
  const groups = new Map<string, { prefix: string; reason: string; targets: SkippedPatch[] }>();
  for (const skip of skips) {
    const dot = skip.target.lastIndexOf(".");
    const prefix = dot > 0 ? skip.target.slice(0, dot) : skip.target;
    const key = `${prefix}\0${skip.reason}\0${skip.effect ?? ""}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { prefix, reason: skip.reason, targets: [] };
      groups.set(key, group);
    }
    group.targets.push(skip);
  }
  const parts: string[] = [];
  for (const { prefix, reason, targets } of groups.values()) {
    const effect = targets[0]?.effect;
    const why = effect === undefined ? reason : `${reason}: ${effect}`;
    if (targets.length > 3) {
      parts.push(`${prefix}.* (${targets.length} of them: ${why})`);
    } else {
      parts.push(targets.map((t) => `${t.target} (${why})`).join(", "));
    }
  }
  const count = skips.length + notListed;
  const more = notListed > 0 ? `, and ${notListed} more` : "";
  return `${count} ${count === 1 ? "wrapper" : "wrappers"} not installed: ${parts.join(", ")}${more}`;
}

/** @internal Tests only: forget every skip. */
export function clearSkipsForTests(): void {
  kept.length = 0;
  keys.clear();
  notKept = 0;
  said = 0;
}
