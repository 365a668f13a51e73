/**
 * Blocking synchronous calls on the main thread, the loop-unsafe operation of Node:
 * `fs.*Sync`, `child_process.*Sync`, `zlib.*Sync`, `crypto.*Sync` and `Atomics.wait`
 * are wrapped so each call after start-up is timed and reported as a `blocking-call`
 * event naming the call line (rate-limited per call site). Start-up is exempt, as with
 * Node's `--trace-sync-io`: before the event loop has started
 * (`performance.nodeTiming.loopStart` is -1 until then), and module top-level code.
 *
 * The wrappers replace the functions on the modules' export objects, then
 * `syncBuiltinESMExports()` makes ESM named imports (`import { readFileSync } from
 * "node:fs"`) see them too. Uninstalling puts the originals back. A function that cannot
 * be replaced (a read-only export, a frozen module object or `Atomics` under
 * `--frozen-intrinsics`) is skipped and named in the start-up diagnostic.
 */
import childProcess from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import zlib from "node:zlib";
import type { Replaced } from "../patches/index.js";
import { copyFunctionShape, syncBuiltinImports, wrapFunction } from "../patches/index.js";
import type { BlockingCallEvent, TaskRef } from "../protocol/index.js";
import { PROTOCOL_VERSION } from "../protocol/index.js";
import { framesOfSites, inspectCaller } from "./call-site.js";
import { SiteLimiter } from "./site-limiter.js";
import type { OnTimedCall } from "./slow-callbacks.js";

/** A function on a module object, as patched. */
type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

export interface BlockingCallMonitorOptions {
  /** Receives each report. */
  readonly report: (event: BlockingCallEvent) => void;
  /** The task running now, if known. */
  readonly currentTask?: () => TaskRef | undefined;
  /** Milliseconds between two reports from the same call site (default 10,000). */
  readonly windowMs?: number;
  /** Call sites remembered for rate limiting (default 1,000). */
  readonly maxSites?: number;
  /**
   * Called after every timed call, reported or not (rate limiting, module loading), but
   * not loopscope's own: the slow-callback attribution (`slow-callbacks.ts`).
   */
  readonly onTimedCall?: OnTimedCall;
  /**
   * Treat the loop as already started (tests). Otherwise it has started once
   * `performance.nodeTiming.loopStart` is set.
   */
  readonly loopStarted?: boolean;
}

/** The modules whose `*Sync` functions block the thread, with the prefix a report names. */
export const BLOCKING_MODULES: readonly (readonly [string, object])[] = [
  ["fs", fs],
  ["child_process", childProcess],
  ["zlib", zlib],
  ["crypto", crypto],
];

/**
 * Writes to stdout and stderr are synchronous by Node's own design (files, pipes on
 * Linux); `console.log` to a file goes through `fs.writeSync(1, ...)`. Not a defect.
 */
function isStdioWrite(args: readonly unknown[]): boolean {
  return args[0] === 1 || args[0] === 2;
}
const EXEMPT: Readonly<Record<string, (args: readonly unknown[]) => boolean>> = {
  "fs.writeSync": isStdioWrite,
  "fs.writevSync": isStdioWrite,
  "fs.fsyncSync": isStdioWrite,
};

/** The names of every call the monitor wraps, e.g. `fs.readFileSync`, `Atomics.wait`. */
export function blockingCallNames(): string[] {
  const names: string[] = [];
  for (const [prefix, owner] of BLOCKING_MODULES) {
    for (const key of syncFunctionKeys(owner)) names.push(`${prefix}.${key}`);
  }
  names.push("Atomics.wait");
  return names;
}

/** The names of the `*Sync` functions a module object has, e.g. `readFileSync`. */
export function syncFunctionKeys(owner: object): string[] {
  return Object.keys(owner).filter((key) => {
    if (!key.endsWith("Sync")) return false;
    try {
      return typeof (owner as Record<string, unknown>)[key] === "function";
    } catch {
      return false; // a getter that throws: not a function we could wrap
    }
  });
}

/**
 * Wraps the blocking calls while installed. One instance at a time (the functions are
 * process-wide); `install` and `uninstall` are idempotent.
 */
export class BlockingCallMonitor {
  readonly #report: (event: BlockingCallEvent) => void;
  readonly #currentTask: () => TaskRef | undefined;
  readonly #onTimedCall: OnTimedCall | undefined;
  readonly #limiter: SiteLimiter;
  readonly #patched: Replaced<AnyFunction>[] = [];
  /** Once true, stays true: the loop starts once per thread. */
  #loopStarted: boolean;
  /** Wrapped calls in progress (or a report being built): nested calls pass straight through. */
  #depth = 0;
  #active = false;

  constructor(options: BlockingCallMonitorOptions) {
    this.#report = options.report;
    this.#currentTask = options.currentTask ?? (() => undefined);
    this.#onTimedCall = options.onTimedCall;
    this.#limiter = new SiteLimiter({
      windowMs: options.windowMs ?? 10_000,
      maxSites: options.maxSites ?? 1_000,
    });
    this.#loopStarted = options.loopStarted ?? false;
  }

  get installed(): boolean {
    return this.#active;
  }

  /** Milliseconds between two reports from the same call site; settable while installed. */
  get windowMs(): number {
    return this.#limiter.windowMs;
  }

  set windowMs(windowMs: number) {
    this.#limiter.windowMs = windowMs;
  }

  install(): void {
    if (this.#active) return;
    this.#active = true;
    for (const [prefix, owner] of BLOCKING_MODULES) {
      for (const key of syncFunctionKeys(owner)) this.#patch(owner, key, `${prefix}.${key}`);
    }
    this.#patch(Atomics, "wait", "Atomics.wait");
    syncBuiltinImports();
  }

  uninstall(): void {
    if (!this.#active) return;
    this.#active = false;
    // Someone wrapped ours since: theirs stays in place; ours passes through when inactive.
    for (const patched of this.#patched.splice(0)) patched.restore();
    this.#limiter.clear();
    syncBuiltinImports();
  }

  /**
   * Start-up ends when the event loop starts. `loopStart` is -1 until then, and set for
   * good once it has: right whether debug mode was turned on by the preload (before the
   * loop) or through the API in a program already running. (Waiting for a first
   * `setImmediate` instead would exempt everything up to the next check phase.)
   */
  #hasLoopStarted(): boolean {
    if (!this.#loopStarted && performance.nodeTiming.loopStart > 0) this.#loopStarted = true;
    return this.#loopStarted;
  }

  #patch(owner: object, key: string, call: string): void {
    const replaced = wrapFunction(
      owner,
      key,
      (original: AnyFunction) => this.#wrap(original, call),
      call,
    );
    if (replaced !== undefined) this.#patched.push(replaced);
  }

  #wrap(original: AnyFunction, call: string): AnyFunction {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrapper's own `this` is the caller's
    const monitor = this;
    const exempt = EXEMPT[call];
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      if (!monitor.#active || !monitor.#hasLoopStarted() || monitor.#depth > 0) {
        return Reflect.apply(original, this, args);
      }
      if (exempt?.(args) === true) return Reflect.apply(original, this, args);
      monitor.#depth++;
      const startedAt = performance.now();
      try {
        return Reflect.apply(original, this, args);
      } finally {
        const endMs = performance.now();
        try {
          monitor.#onCall(call, endMs - startedAt, endMs, wrapper);
        } catch {
          // loopscope never throws into the application.
        } finally {
          monitor.#depth--;
        }
      }
    };
    copyFunctionShape(original, wrapper);
    return wrapper;
  }

  #onCall(call: string, durationMs: number, endMs: number, wrapper: AnyFunction): void {
    const caller = inspectCaller(wrapper);
    if (caller.ownCall) return;
    // A long call blocks the loop whether it is reported or not.
    this.#onTimedCall?.(call, durationMs, endMs, caller.sites);
    if (caller.duringModuleLoad) return;
    const count = this.#limiter.hit(caller.key ?? call);
    if (count === undefined) return;
    const task = this.#currentTask();
    const event: BlockingCallEvent = {
      type: "blocking-call",
      protocol: PROTOCOL_VERSION,
      time: Date.now(),
      pid: process.pid,
      call,
      durationMs: Math.round(durationMs * 1000) / 1000,
      stack: framesOfSites(caller.sites),
      count,
      ...(task === undefined ? {} : { task }),
    };
    this.#report(event);
  }
}
