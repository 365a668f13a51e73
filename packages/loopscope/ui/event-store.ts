/**
 * The events the log shows, newest first, at most {@link MAX_EVENTS}. Live events arrive
 * one by one, sometimes in bursts; listeners hear of them at most every
 * {@link FLUSH_MS}, so a burst is one render, not hundreds.
 */
import type { LoopscopeEvent } from "../src/protocol/index.js";
import type { LoggedEvent } from "./components/EventLog.js";

export const MAX_EVENTS = 500;
const FLUSH_MS = 250;

/**
 * Events carry no id: the same report from the history and the live channel is the same
 * JSON. A block's recorder window (up to 64 KB) is stood for by its span and size, so a
 * merge does not write out every window the log holds.
 */
function identity(event: LoopscopeEvent): string {
  if (event.type === "loop-blocked" && event.recorder) {
    const { recorder, ...rest } = event;
    return `${JSON.stringify(rest)} ${recorder.from} ${recorder.until} ${recorder.entries.length}`;
  }
  return JSON.stringify(event);
}

export class EventStore {
  /** Newest first. */
  events: readonly LoggedEvent[] = [];
  /** Events the server no longer kept, as its history said. */
  dropped = 0;
  private seq = 0;
  private pending: LoopscopeEvent[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<() => void>();

  add(event: LoopscopeEvent): void {
    this.pending.push(event);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /**
   * Merges the server's history (oldest first) with what the live channel brought: after a
   * reconnect the history fills the gap, and what both hold is kept once.
   */
  merge(history: readonly LoopscopeEvent[], dropped: number): void {
    this.flush(false);
    const known = new Set(this.events.map((logged) => identity(logged.event)));
    const missing = history.filter((event) => !known.has(identity(event)));
    this.dropped = dropped;
    if (missing.length > 0) {
      const merged = [...this.events, ...missing.map((event) => this.log(event))];
      merged.sort((a, b) => b.event.time - a.event.time || b.seq - a.seq);
      this.events = merged.slice(0, MAX_EVENTS);
    }
    this.changed();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private log(event: LoopscopeEvent): LoggedEvent {
    this.seq += 1;
    return { seq: this.seq, event };
  }

  private flush(notify = true): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.pending.length === 0) return;
    const fresh = this.pending.map((event) => this.log(event)).reverse();
    this.pending = [];
    this.events = [...fresh, ...this.events].slice(0, MAX_EVENTS);
    if (notify) this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
