import type { RecorderEntry, RecorderEntryKind } from "../protocol/index.js";

/** Entry kinds as the ring stores them: one byte, the name only when read. */
export const Kind = {
  TaskStart: 0,
  TaskEnd: 1,
  TaskCancel: 2,
  LoopBlocked: 3,
  Gc: 4,
  UnhandledRejection: 5,
  BlockingCall: 6,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

const KIND_NAMES: readonly RecorderEntryKind[] = [
  "task-start",
  "task-end",
  "task-cancel",
  "loop-blocked",
  "gc",
  "unhandled-rejection",
  "blocking-call",
];

/**
 * What an entry is estimated to cost apart from its strings: its slot in the columns
 * (five numbers and two references) and, as much again, its JSON framing when written out.
 */
export const ENTRY_BYTES = 64;

/** The ring's bounds. */
export interface RingBounds {
  /** Entries kept at most (the ring's slots, allocated up front). */
  readonly maxEntries: number;
  /** Bytes kept at most: {@link ENTRY_BYTES} per entry plus the length of its strings. */
  readonly maxBytes: number;
  /** Entries older than this (ms) before the newest are let go as new ones come. Default: no limit. */
  readonly windowMs?: number;
}

/** Numbers per slot: time, task id (0: none), duration (NaN: none), kind + 8 × estimated bytes. */
const NUMBERS = 4;
/** References per slot: the task name, the detail. */
const TEXTS = 2;

/**
 * A bounded ring of entries in two preallocated arrays, written in turn: four numbers a
 * slot in one `Float64Array`, two references a slot in one array, side by side so that
 * recording an entry touches two cache lines, not one per field. Recording allocates
 * nothing (a task's name is held by reference, not copied): the task registry records
 * every task it starts and settles, up to 100,000 a second. When a bound is reached the
 * oldest entries go, counted in `dropped`; entries past the time window are let go as new
 * ones come (and by `expire`), not counted: they were due to go.
 *
 * Times are on the `performance.now()` clock: monotonic, so a wall-clock step cannot
 * reorder the ring; they become epoch milliseconds only when read.
 */
export class EntryRing {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly windowMs: number;
  readonly #numbers: Float64Array;
  readonly #texts: (string | undefined)[];
  /** The oldest entry's slot. */
  #tail = 0;
  #size = 0;
  #bytes = 0;
  #dropped = 0;

  constructor(bounds: RingBounds) {
    const capacity = bounds.maxEntries;
    this.maxEntries = capacity;
    this.maxBytes = bounds.maxBytes;
    this.windowMs = bounds.windowMs ?? Infinity;
    this.#numbers = new Float64Array(capacity * NUMBERS);
    // Filled, so the array is packed from the start and never changes shape.
    this.#texts = new Array<string | undefined>(capacity * TEXTS).fill(undefined);
  }

  /** Entries kept now. */
  get size(): number {
    return this.#size;
  }

  /** Their estimated bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries dropped to stay within the bounds, since the ring was made. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Record an entry. Strings must already be short (see `shortText`): the ring holds them
   * as they are.
   *
   * @param time - `performance.now()` milliseconds.
   * @param taskId - 0 when the entry concerns no task.
   * @param durationMs - NaN when it has none.
   */
  push(
    time: number,
    kind: Kind,
    taskId: number,
    name: string | undefined,
    detail: string | undefined,
    durationMs: number,
  ): void {
    const capacity = this.maxEntries;
    const numbers = this.#numbers;
    let slot: number;
    if (this.#size === capacity) {
      // Full: the oldest goes, and its slot is the one written.
      slot = this.#tail;
      this.#bytes -= bytesOf(numbers[slot * NUMBERS + 3]!);
      this.#tail = slot + 1 === capacity ? 0 : slot + 1;
      this.#size--;
      this.#dropped++;
    } else {
      slot = this.#tail + this.#size;
      if (slot >= capacity) slot -= capacity;
    }
    const cost =
      ENTRY_BYTES +
      (name === undefined ? 0 : name.length) +
      (detail === undefined ? 0 : detail.length);
    const at = slot * NUMBERS;
    numbers[at] = time;
    numbers[at + 1] = taskId;
    numbers[at + 2] = durationMs;
    numbers[at + 3] = kind + cost * 8;
    const texts = this.#texts;
    texts[slot * TEXTS] = name;
    texts[slot * TEXTS + 1] = detail;
    this.#size++;
    this.#bytes += cost;
    while (this.#bytes > this.maxBytes && this.#size > 1) this.#dropOldest(true);
    // Age, lazily: at most one old entry goes per new one, a read and a comparison; a
    // reader calls `expire` for the rest.
    if (numbers[this.#tail * NUMBERS]! < time - this.windowMs) this.#dropOldest(false);
  }

  /**
   * Let go of entries older than `oldest` (`performance.now()` ms), the oldest first,
   * stopping at the first that is not (an entry recorded late, with an earlier time,
   * waits for the next call). Not counted as dropped: the window had passed them.
   */
  expire(oldest: number): void {
    while (this.#size > 0 && this.#numbers[this.#tail * NUMBERS]! < oldest) {
      this.#dropOldest(false);
    }
  }

  /**
   * The slots of the entries whose time is in `[from, until]`, newest first (in the order
   * they were recorded, which is time order but for the few recorded late).
   */
  slotsNewestFirst(from: number, until: number): number[] {
    const slots: number[] = [];
    const capacity = this.maxEntries;
    for (let i = this.#size - 1; i >= 0; i--) {
      let slot = this.#tail + i;
      if (slot >= capacity) slot -= capacity;
      const time = this.#numbers[slot * NUMBERS]!;
      if (time >= from && time <= until) slots.push(slot);
    }
    return slots;
  }

  /** The time of the entry in `slot` (`performance.now()` ms). */
  timeAt(slot: number): number {
    return this.#numbers[slot * NUMBERS]!;
  }

  /** The kind of the entry in `slot`. */
  kindAt(slot: number): Kind {
    return (this.#numbers[slot * NUMBERS + 3]! % 8) as Kind;
  }

  /** The task name of the entry in `slot`, if it has one. */
  nameAt(slot: number): string | undefined {
    return this.#texts[slot * TEXTS];
  }

  /**
   * The entry in `slot` as protocol data, its time in epoch milliseconds
   * (`performance.now()` time + `epochOffset`, rounded).
   */
  entryAt(slot: number, epochOffset: number): RecorderEntry {
    const at = slot * NUMBERS;
    const numbers = this.#numbers;
    const entry: { -readonly [K in keyof RecorderEntry]: RecorderEntry[K] } = {
      time: Math.round(numbers[at]! + epochOffset),
      kind: KIND_NAMES[numbers[at + 3]! % 8] ?? "task-start",
    };
    const taskId = numbers[at + 1]!;
    // The ring keeps a task's id and name only: creation frames would cost a stack
    // resolution per entry when read, and are in the task dump and the reports.
    if (taskId !== 0) {
      entry.task = { id: taskId, name: this.#texts[slot * TEXTS] ?? "", createdAt: [] };
    }
    const duration = numbers[at + 2]!;
    if (!Number.isNaN(duration)) entry.durationMs = Math.round(duration * 10) / 10;
    const detail = this.#texts[slot * TEXTS + 1];
    if (detail !== undefined) entry.detail = detail;
    return entry;
  }

  #dropOldest(counted: boolean): void {
    const slot = this.#tail;
    this.#bytes -= bytesOf(this.#numbers[slot * NUMBERS + 3]!);
    // Let go of the strings the slot holds: the ring must not keep a task's name alive.
    this.#texts[slot * TEXTS] = undefined;
    this.#texts[slot * TEXTS + 1] = undefined;
    this.#tail = slot + 1 === this.maxEntries ? 0 : slot + 1;
    this.#size--;
    if (counted) this.#dropped++;
  }
}

/** The estimated bytes packed with the kind (`kind + 8 × bytes`). */
function bytesOf(packed: number): number {
  return Math.floor(packed / 8);
}
