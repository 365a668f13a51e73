import type { Frame } from "../protocol/index.js";
import { isApplicationFrame } from "../protocol/index.js";

/**
 * Small integer ids for what the text dump compares, so that grouping 100,000 tasks
 * compares numbers instead of building a long string per task, and allocates nothing
 * per task once the distinct parts are known. Equal ids mean equal content; ids live
 * as long as one instance: one per rendered dump. Id 0 is never handed out, so callers
 * may use it for "none".
 */
export class DumpKeys {
  private readonly strings = new Map<string, number>();
  private readonly pairs = new PairTable();
  /** The frame list seen last: the same array asked twice in a row is not walked again. */
  private lastFrames: readonly Frame[] | undefined = undefined;
  private lastEnd = 0;
  private lastId = 0;
  /** The first words of names seen last, most recent first, with their ids. */
  private readonly recentWords: { word: string; id: number }[] = [];

  /**
   * The id of `frames[0..end)` as the dump prints it: lists that print the same get the
   * same id, and the empty list 0. A run of Node-internal or loopscope frames that the
   * text folds into `... 3 node-internal frames` compares by its length and kind, as
   * the rendered text would (see `renderFrames`); other frames by `fn (file:line:col)`.
   */
  frames(frames: readonly Frame[], end: number = frames.length): number {
    if (end === 0) return 0;
    if (frames === this.lastFrames && end === this.lastEnd) return this.lastId;
    // The list as a path in a trie: each step one frame, or one folded run.
    let path = 0;
    let i = 0;
    while (i < end) {
      const frame = frames[i]!;
      let runEnd = i + 1;
      let step: number;
      if (!isApplicationFrame(frame)) {
        let internal = frame.internal === true;
        let own = frame.loopscope === true;
        while (runEnd < end && !isApplicationFrame(frames[runEnd]!)) {
          internal ||= frames[runEnd]!.internal === true;
          own ||= frames[runEnd]!.loopscope === true;
          runEnd++;
        }
        if (runEnd - i >= 2 || own) {
          // Folded: the text says only how many and of which kind (odd steps).
          step = ((runEnd - i) * 4 + (internal ? 2 : 0) + (own ? 1 : 0)) * 2 + 1;
        } else {
          step = this.frame(frame) * 2;
        }
      } else {
        step = this.frame(frame) * 2;
      }
      path = this.pairs.id(path, step);
      i = runEnd;
    }
    this.lastFrames = frames;
    this.lastEnd = end;
    this.lastId = path;
    return path;
  }

  /** The id of a string (what is awaited, a list of children's ids). */
  string(value: string): number {
    let id = this.strings.get(value);
    if (id === undefined) {
      id = this.strings.size + 1;
      this.strings.set(value, id);
    }
    return id;
  }

  /** The id of two ids (or small non-negative integers), in order. */
  pair(a: number, b: number): number {
    return this.pairs.id(a, b);
  }

  /**
   * The id of a name's shape: its first word, digits aside (`handle cattle-ab12` →
   * `handle`, `m17` → `m#`); the rest is usually the instance. Names of one kind come
   * in runs, so the last few words are checked in place before a word is cut out.
   */
  nameShape(name: string): number {
    const recent = this.recentWords;
    for (const entry of recent) {
      const word = entry.word;
      if (
        name.startsWith(word) &&
        (name.length === word.length || name.charCodeAt(word.length) === SPACE)
      ) {
        return entry.id;
      }
    }
    const space = name.indexOf(" ");
    const end = space === -1 ? name.length : space;
    let word = end === name.length ? name : name.slice(0, end);
    let digits = false;
    for (let i = 0; i < end && !digits; i++) digits = isDigit(name.charCodeAt(i));
    if (digits) word = word.replace(/[0-9]+/g, "#");
    const id = this.string(word);
    // Only digit-free words can be matched in place: `m#` is not a prefix of `m17`.
    if (!digits) {
      if (recent.length === RECENT_WORDS) recent.pop();
      recent.unshift({ word, id });
    }
    return id;
  }

  /** One frame's id by what the text shows of it: `fn (file:line:col)`, or `fn (file)`. */
  private frame(frame: Frame): number {
    const named = this.pairs.id(this.string(frame.file), this.string(frame.fn));
    const at = frame.line <= 0 ? 0 : this.pairs.id(frame.line, frame.col);
    return this.pairs.id(named, at);
  }
}

/**
 * Pairs of 32-bit integers → ids from 1, in an open-addressing hash table over typed
 * arrays: a lookup allocates nothing (a `Map` keyed by `a * 2^32 + b` would box a
 * number per lookup, and a string key would build a string).
 */
class PairTable {
  private firsts = new Int32Array(INITIAL_SLOTS);
  private seconds = new Int32Array(INITIAL_SLOTS);
  /** 0 marks an empty slot. */
  private ids = new Int32Array(INITIAL_SLOTS);
  private count = 0;

  id(a: number, b: number): number {
    const found = this.find(a, b);
    if (this.ids[found] !== 0) return this.ids[found]!;
    const id = ++this.count;
    this.firsts[found] = a;
    this.seconds[found] = b;
    this.ids[found] = id;
    // Half full at most: probes stay short.
    if (this.count * 2 > this.ids.length) this.grow();
    return id;
  }

  /** The slot holding (a, b), or the empty slot where it belongs. */
  private find(a: number, b: number): number {
    const mask = this.ids.length - 1;
    let slot = hash(a, b) & mask;
    while (this.ids[slot] !== 0 && (this.firsts[slot] !== a || this.seconds[slot] !== b)) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private grow(): void {
    const { firsts, seconds, ids } = this;
    this.firsts = new Int32Array(ids.length * 2);
    this.seconds = new Int32Array(ids.length * 2);
    this.ids = new Int32Array(ids.length * 2);
    for (let slot = 0; slot < ids.length; slot++) {
      if (ids[slot] === 0) continue;
      const to = this.find(firsts[slot]!, seconds[slot]!);
      this.firsts[to] = firsts[slot]!;
      this.seconds[to] = seconds[slot]!;
      this.ids[to] = ids[slot]!;
    }
  }
}

/** A power of two. */
const INITIAL_SLOTS = 1024;
const RECENT_WORDS = 4;
const SPACE = 32;

function hash(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35);
  return h ^ (h >>> 13);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}
