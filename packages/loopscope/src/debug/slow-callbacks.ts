/**
 * Slow callbacks the watchdog could not see into. The watchdog's `loop-blocked` report
 * names the blocking line and task when its capture lands during the block; when it does
 * not (a thread held in a native call that answers only after the loop has turned again,
 * a starved watchdog thread, or the inspector in use), the report has a duration and no
 * stack and no task. Debug mode times every blocking synchronous call on the main thread,
 * with its caller's sites and the task it ran in: when such a report comes, and a call
 * that took at least half of the stall ended during it, a `slow-callback` event follows
 * with the stall's duration, the call's line and the task (name, creation frames).
 *
 * Cost: nothing per call under {@link SlowCallbackMonitorOptions.minMs}; above it, one
 * small record in a bounded ring. Nothing per loop turn (the watchdog's events drive it).
 */
import type { LoopBlockedEvent, LoopscopeEvent, SlowCallbackEvent } from "../protocol/index.js";
import { PROTOCOL_VERSION } from "../protocol/index.js";
import type { Task } from "../tasks/index.js";
import { currentTask, taskRef } from "../tasks/index.js";
import type { V8CallSite } from "./call-site.js";
import { framesOfSites } from "./call-site.js";

/** A timed blocking call, as the blocking-call wrappers hand it on. */
export interface TimedCall {
  /** e.g. `crypto.pbkdf2Sync`. */
  readonly call: string;
  readonly durationMs: number;
  /** `performance.now()` when the call returned. */
  readonly endMs: number;
  /** The caller's sites, innermost first (formatted only if reported). */
  readonly sites: readonly V8CallSite[];
}

/** What the blocking-call wrappers call after each timed call. */
export type OnTimedCall = (
  call: string,
  durationMs: number,
  endMs: number,
  sites: readonly V8CallSite[],
) => void;

interface Recorded extends TimedCall {
  readonly task: Task | undefined;
}

export interface SlowCallbackMonitorOptions {
  /** Receives each `slow-callback` event. */
  readonly report: (event: SlowCallbackEvent) => void;
  /** Subscribes to every event; returns the function that unsubscribes. */
  readonly subscribe: (listener: (event: LoopscopeEvent) => void) => () => void;
  /** Calls shorter than this are not remembered (default 1 ms: no stall is shorter). */
  readonly minMs?: number;
  /** Recent long calls remembered (default 16). */
  readonly maxCalls?: number;
}

/** A call explains a stall when it took at least this share of it. */
const MIN_SHARE = 0.5;
/** Rounding of the stall's duration (0.1 ms) and of the two clocks' reads. */
const SLACK_MS = 2;

/**
 * Remembers the recent long blocking calls and, for a `loop-blocked` event with nothing
 * captured, reports the one that explains it. `install` and `uninstall` are idempotent.
 */
export class SlowCallbackMonitor {
  readonly #report: (event: SlowCallbackEvent) => void;
  readonly #subscribe: (listener: (event: LoopscopeEvent) => void) => () => void;
  readonly #minMs: number;
  /** A ring of the latest long calls; `#next` is where the next one goes. */
  readonly #calls: (Recorded | undefined)[];
  #next = 0;
  #unsubscribe: (() => void) | undefined;

  constructor(options: SlowCallbackMonitorOptions) {
    this.#report = options.report;
    this.#subscribe = options.subscribe;
    this.#minMs = options.minMs ?? 1;
    this.#calls = new Array<Recorded | undefined>(options.maxCalls ?? 16).fill(undefined);
  }

  install(): void {
    this.#unsubscribe ??= this.#subscribe((event) => {
      if (event.type === "loop-blocked") this.#onBlocked(event);
    });
  }

  uninstall(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#calls.fill(undefined);
  }

  /**
   * A blocking call returned: called synchronously after each one, in the task it ran in
   * (positional arguments: nothing is allocated for the short calls it ignores).
   */
  readonly record: OnTimedCall = (call, durationMs, endMs, sites) => {
    if (this.#unsubscribe === undefined || durationMs < this.#minMs) return;
    this.#calls[this.#next] = { call, durationMs, endMs, sites, task: currentTask() };
    this.#next = (this.#next + 1) % this.#calls.length;
  };

  #onBlocked(event: LoopBlockedEvent): void {
    // The watchdog saw into this block: nothing to add.
    if (event.stack.length > 0 || event.task !== undefined) return;
    // Coalesced repeats are reported a window after they happened: their `endedAt` says
    // when. Without it, the report is taken as coming as the loop turned again.
    const stallEndMs =
      event.endedAt === undefined ? performance.now() : event.endedAt - performance.timeOrigin;
    const stallStartMs = stallEndMs - event.durationMs - SLACK_MS;
    let culprit: Recorded | undefined;
    let index = -1;
    this.#calls.forEach((call, i) => {
      if (call === undefined || call.endMs < stallStartMs || call.endMs > stallEndMs + SLACK_MS) {
        return;
      }
      if (culprit === undefined || call.durationMs > culprit.durationMs) {
        culprit = call;
        index = i;
      }
    });
    if (culprit === undefined || culprit.durationMs < event.durationMs * MIN_SHARE) return;
    // Explained once: a later report (coalesced repeats) does not take it again.
    this.#calls[index] = undefined;
    const found = culprit;
    // After the `loop-blocked` event has gone out, so the two come in that order.
    queueMicrotask(() => {
      try {
        this.#report({
          type: "slow-callback",
          protocol: PROTOCOL_VERSION,
          time: event.time,
          pid: process.pid,
          durationMs: event.durationMs,
          stack: framesOfSites(found.sites),
          ...(found.task === undefined ? {} : { task: taskRef(found.task) }),
        });
      } catch {
        // loopscope never throws into the application.
      }
    });
  }
}
