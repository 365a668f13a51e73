import type { RecorderEntry, RecorderStarts, RecorderWindow } from "../protocol/index.js";
import type { EntryRing } from "./ring.js";
import { Kind } from "./ring.js";
import type { TaskTally } from "./task-tally.js";
import { BUCKET_MS } from "./task-tally.js";

/** How large a window may be. */
export interface WindowLimits {
  /** Entries at most. */
  readonly maxEntries: number;
  /** Bytes at most of the window as JSON (UTF-8), its own fields included. */
  readonly maxBytes: number;
}

/** What a loop-blocked report carries: at most 200 entries, 64 KB. */
export const DEFAULT_WINDOW_LIMITS: WindowLimits = { maxEntries: 200, maxBytes: 65_536 };

/** What a window is read from. */
export interface WindowSource {
  /** Task starts, ends and cancels: the flood. */
  readonly tasks: EntryRing;
  /** Blocks, GC pauses, rejections, blocking calls: rare, kept apart so the flood cannot push them out. */
  readonly notes: EntryRing;
  /** Every task start, counted. */
  readonly tally: TaskTally;
  /** Dropped by both rings since the start. */
  readonly dropped: number;
  /** Tasks left out by the sampling under load, if any. */
  readonly taskSampling?: RecorderWindow["taskSampling"];
}

interface Picked {
  readonly time: number;
  /** How many newer entries its ring holds: the recording order, for entries of the same time. */
  readonly newer: number;
  readonly entry: RecorderEntry;
}

/** The span of a window: on the recorder's clock, and as the window says it (epoch ms). */
export interface WindowSpan {
  /** `performance.now()` milliseconds. */
  readonly fromPerf: number;
  readonly untilPerf: number;
  /** Epoch milliseconds. */
  readonly from: number;
  readonly until: number;
  /** Epoch milliseconds of `performance.now()`'s zero, as the wall clock says now. */
  readonly epochOffset: number;
}

/**
 * The entries of `[fromPerf, untilPerf]`, bounded by `limits`: the newest blocks, GC
 * pauses, rejections and blocking calls first, up to half of each bound; then the newest
 * task entries; then, if room is left, older notes. The rest is counted in `omitted`.
 */
export function buildWindow(
  source: WindowSource,
  span: WindowSpan,
  limits: WindowLimits,
): RecorderWindow {
  const { fromPerf, untilPerf, epochOffset } = span;
  const startsLastSecond = startsBefore(source, untilPerf);
  const skeleton: RecorderWindow = {
    from: span.from,
    until: span.until,
    entries: [],
    // Widest it can be, so the bytes reserved for the fields hold whatever it turns out to be.
    omitted: Number.MAX_SAFE_INTEGER,
    dropped: source.dropped,
    ...(startsLastSecond === undefined ? {} : { startsLastSecond }),
    ...(source.taskSampling === undefined ? {} : { taskSampling: source.taskSampling }),
  };
  const noteSlots = source.notes.slotsNewestFirst(fromPerf, untilPerf);
  const taskSlots = source.tasks.slotsNewestFirst(fromPerf, untilPerf);
  const picked: Picked[] = [];
  let entriesLeft = limits.maxEntries;
  let bytesLeft = limits.maxBytes - jsonBytes(skeleton);

  /** Take entries of `ring` from `slots[from]` on, newest first, until one does not fit. */
  const take = (
    ring: EntryRing,
    slots: readonly number[],
    from: number,
    maxEntries: number,
    maxBytes: number,
  ): number => {
    let i = from;
    let entries = 0;
    let bytes = 0;
    for (; i < slots.length && entries < maxEntries; i++) {
      const slot = slots[i]!;
      const entry = ring.entryAt(slot, epochOffset);
      // The entry and the comma before it.
      const size = jsonBytes(entry) + 1;
      if (bytes + size > maxBytes) break;
      bytes += size;
      entries++;
      picked.push({ time: ring.timeAt(slot), newer: i, entry });
    }
    entriesLeft -= entries;
    bytesLeft -= bytes;
    return i;
  };

  const notesTaken = take(
    source.notes,
    noteSlots,
    0,
    Math.ceil(entriesLeft / 2),
    Math.floor(bytesLeft / 2),
  );
  take(source.tasks, taskSlots, 0, entriesLeft, bytesLeft);
  take(source.notes, noteSlots, notesTaken, entriesLeft, bytesLeft);

  picked.sort((a, b) => a.time - b.time || b.newer - a.newer);
  return {
    ...skeleton,
    entries: picked.map((p) => p.entry),
    omitted: noteSlots.length + taskSlots.length - picked.length,
  };
}

/** Tasks started in the second before `untilPerf`: counted over every start, named from the ring. */
function startsBefore(source: WindowSource, untilPerf: number): RecorderStarts | undefined {
  // Whole buckets: the ten tenths of a second up to the one `untilPerf` is in.
  const fromPerf = Math.floor((untilPerf - 1_000 + BUCKET_MS) / BUCKET_MS) * BUCKET_MS;
  const count = source.tally.between(fromPerf, untilPerf);
  if (count === 0) return undefined;
  const ring = source.tasks;
  const byName = new Map<string, number>();
  let seen = 0;
  for (const slot of ring.slotsNewestFirst(fromPerf, untilPerf)) {
    if (ring.kindAt(slot) !== Kind.TaskStart) continue;
    seen++;
    const shape = nameShape(ring.nameAt(slot) ?? "");
    byName.set(shape, (byName.get(shape) ?? 0) + 1);
  }
  const names = [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, n]) => ({ name, count: n }));
  return { count, names, seen };
}

/** A name's first word, digits as `#` (`handle cattle-ab12` → `handle`, `m17` → `m#`), as the dump groups names. */
export function nameShape(name: string): string {
  const space = name.indexOf(" ");
  const word = space === -1 ? name : name.slice(0, space);
  return word.replace(/[0-9]+/g, "#");
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}
