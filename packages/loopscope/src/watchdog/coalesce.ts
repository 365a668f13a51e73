import type { Frame, StallCause, StallEvidence, TaskRef } from "../protocol/index.js";
import { firstApplicationFrame } from "./attribution.js";

/** One block, before coalescing. */
export interface BlockReport {
  readonly durationMs: number;
  readonly cause: StallCause;
  readonly evidence: StallEvidence;
  readonly stack: readonly Frame[];
  readonly note?: string;
  readonly task?: TaskRef;
  /** Epoch milliseconds when the block ended. */
  readonly endedAt?: number;
}

/** What the coalescer hands on: a block, or several at the same place. */
export interface CoalescedReport extends BlockReport {
  /** Blocks at this place this report stands for. */
  readonly count: number;
}

export interface CoalescerOptions {
  /** Repeats at one place within this window are summed into one later report. */
  readonly windowMs: number;
  /** Places remembered at most; the oldest is reported and forgotten beyond it. */
  readonly maxSites: number;
  readonly report: (report: CoalescedReport) => void;
}

interface Site {
  windowStart: number;
  /** Blocks since the last report, and the longest of them (reported with its stack). */
  pending: number;
  longest: BlockReport | undefined;
}

/** Frames that make two blocks "the same place" when neither has an application frame. */
const FALLBACK_KEY_FRAMES = 3;

/**
 * Where and why a block happened, as the coalescer's key: the cause, then {@link siteKey}
 * (a host pause and a busy loop are never one place, whatever their stacks).
 */
export function blockKey(block: Pick<BlockReport, "cause" | "stack">): string {
  return `${block.cause} ${siteKey(block.stack)}`;
}

/**
 * The place a block happened, as a map key: its innermost application frame (neither
 * Node's nor loopscope's) by function, file and line. Columns are left out, and so are
 * the frames above it: a loop at one line is interrupted at different expressions of
 * that line, sometimes inside a Node-internal callee (`performance.now()`), and is still
 * one place. A stack without an application frame is keyed on its innermost few frames
 * (function, file, line); an empty stack on `<no stack>`.
 */
export function siteKey(stack: readonly Frame[]): string {
  if (stack.length === 0) return "<no stack>";
  const frame = firstApplicationFrame(stack);
  if (frame !== undefined) return `${frame.fn} ${frame.file}:${frame.line}`;
  return [
    "<no application frame>",
    ...stack.slice(0, FALLBACK_KEY_FRAMES).map((f) => `${f.fn} ${f.file}:${f.line}`),
  ].join("\n");
}

/**
 * Rate-limits reports per place: the first block at a place is reported at once; further
 * blocks there within `windowMs` are counted and reported once, as one report with the
 * count and the longest duration, when the window ends (or at {@link flush}). Bounded:
 * at most `maxSites` places are remembered.
 */
export class BlockCoalescer {
  readonly #options: CoalescerOptions;
  readonly #sites = new Map<string, Site>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: CoalescerOptions) {
    this.#options = options;
  }

  /** Whether a block at this place would be reported at once (not counted into a later report). */
  wouldReportNow(block: Pick<BlockReport, "cause" | "stack">, now: number = Date.now()): boolean {
    const site = this.#sites.get(blockKey(block));
    return (
      site === undefined || (site.pending === 0 && now - site.windowStart >= this.#options.windowMs)
    );
  }

  add(block: BlockReport, now: number = Date.now()): void {
    const key = blockKey(block);
    const site = this.#sites.get(key);
    if (
      site === undefined ||
      (site.pending === 0 && now - site.windowStart >= this.#options.windowMs)
    ) {
      if (site !== undefined) this.#sites.delete(key);
      this.#remember(key, { windowStart: now, pending: 0, longest: undefined });
      this.#options.report({ ...block, count: 1 });
      return;
    }
    site.pending++;
    if (site.longest === undefined || block.durationMs > site.longest.durationMs)
      site.longest = block;
    this.#schedule();
  }

  /** Report every pending count now (at stop). */
  flush(): void {
    for (const site of this.#sites.values()) this.#reportPending(site, Date.now());
    this.#clearTimer();
  }

  stop(): void {
    this.flush();
    this.#sites.clear();
  }

  #remember(key: string, site: Site): void {
    while (this.#sites.size >= this.#options.maxSites) {
      const oldest = this.#sites.entries().next().value;
      if (oldest === undefined) break;
      this.#reportPending(oldest[1], Date.now());
      this.#sites.delete(oldest[0]);
    }
    this.#sites.set(key, site);
  }

  #reportPending(site: Site, now: number): void {
    if (site.pending === 0 || site.longest === undefined) return;
    const report: CoalescedReport = { ...site.longest, count: site.pending };
    site.pending = 0;
    site.longest = undefined;
    site.windowStart = now;
    this.#options.report(report);
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.#onTimer(), this.#options.windowMs);
    this.#timer.unref();
  }

  #onTimer(): void {
    this.#timer = undefined;
    const now = Date.now();
    let waiting = false;
    for (const site of this.#sites.values()) {
      if (site.pending === 0) continue;
      if (now - site.windowStart >= this.#options.windowMs) this.#reportPending(site, now);
      else waiting = true;
    }
    if (waiting) this.#schedule();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
