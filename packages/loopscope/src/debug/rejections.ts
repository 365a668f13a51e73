/**
 * Failures nobody handled, reported with where the failed work was created: an
 * unhandled rejection (`unhandled-rejection`), or a task whose promise failed while
 * nobody awaited it (`task-exception-never-retrieved`, asyncio's "Task exception was
 * never retrieved").
 *
 * Node's own handling must not change: an `unhandledRejection` listener would suppress
 * the default (print the error, exit 1). So nothing is added as a listener; instead
 * `process.emit` is wrapped to see the `(reason, promise)` Node emits in every
 * `--unhandled-rejections` mode, and the listeners, the return value and so the
 * behaviour stay the application's. In `strict` mode Node throws before it emits:
 * `uncaughtExceptionMonitor` (which observes without handling) covers that.
 *
 * The error's `stack` must not be read before Node has taken its own view of a fatal
 * rejection: formatting the stack makes Node print its own internal line instead of the
 * application's `throw` line above the error. So a rejection nobody handled is reported
 * from `uncaughtExceptionMonitor` (after Node took it) or, when Node only warns, on the
 * next tick; one the application's listener handled is reported at once.
 */
import type {
  Frame,
  TaskExceptionNeverRetrievedEvent,
  TaskRef,
  UnhandledRejectionEvent,
} from "../protocol/index.js";
import { PROTOCOL_VERSION } from "../protocol/index.js";
import type { Replaced } from "../patches/index.js";
import { recordSkip, replaceProperty } from "../patches/index.js";
import { errorInfo } from "../stacks/index.js";

export interface RejectionMonitorOptions {
  readonly report: (event: UnhandledRejectionEvent | TaskExceptionNeverRetrievedEvent) => void;
  /** The task whose promise this is. */
  readonly taskOfPromise?: (promise: object) => TaskRef | undefined;
  /** Where a promise was created, innermost first. */
  readonly creationOf?: (promise: object) => readonly Frame[] | undefined;
  /** The task that was running when a promise was created. */
  readonly contextTaskOf?: (promise: object) => TaskRef | undefined;
}

interface Pending {
  readonly reason: unknown;
  readonly promise: unknown;
}

type Emit = (this: NodeJS.Process, event: string | symbol, ...args: unknown[]) => boolean;

export class RejectionMonitor {
  readonly #options: RejectionMonitorOptions;
  #emit: Replaced<Emit> | undefined;
  #active = false;
  /** The rejection Node is emitting now, not yet reported. */
  #pending: Pending | undefined;
  /** Reasons already reported, so `strict` mode's two paths report once. */
  #reported = new WeakSet<object>();

  constructor(options: RejectionMonitorOptions) {
    this.#options = options;
  }

  install(): void {
    if (this.#active) return;
    this.#active = true;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with Reflect.apply and the original receiver
    const original = process.emit as Emit;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrapper's `this` is the process
    const monitor = this;
    const wrapped: Emit = function (this: NodeJS.Process, event, ...args) {
      if (event !== "unhandledRejection" || !monitor.#active) {
        return Reflect.apply(original, this, [event, ...args]);
      }
      const pending: Pending = { reason: args[0], promise: args[1] };
      monitor.#pending = pending;
      let handled = false;
      try {
        handled = Reflect.apply(original, this, [event, ...args]);
        return handled;
      } finally {
        if (handled) monitor.#settle(pending);
        // Fatal: Node throws it now, and uncaughtExceptionMonitor reports it. Otherwise
        // (warn, none) Node goes on: report it on the next tick.
        else process.nextTick(() => monitor.#settle(pending));
      }
    };
    // Skipped (and said once) when `process.emit` cannot be replaced: strict mode's
    // fatal rejections are still seen by the monitor listener below.
    this.#emit = replaceProperty(process, "emit", wrapped, "process.emit");
    try {
      process.on("uncaughtExceptionMonitor", this.#onUncaughtMonitor);
    } catch (error) {
      recordSkip({ target: "process.on(uncaughtExceptionMonitor)", reason: String(error) });
    }
  }

  uninstall(): void {
    if (!this.#active) return;
    this.#active = false;
    // Another wrapper on top of ours stays; ours passes through while inactive.
    this.#emit?.restore();
    this.#emit = undefined;
    process.removeListener("uncaughtExceptionMonitor", this.#onUncaughtMonitor);
  }

  readonly #onUncaughtMonitor = (error: Error, origin: string): void => {
    if (origin !== "unhandledRejection") return;
    // The rejection being processed now (Node wraps a non-Error reason: keep the reason).
    this.#settle(this.#pending ?? { reason: error, promise: undefined });
  };

  /** Report a rejection once, if it is still waiting. */
  #settle(pending: Pending): void {
    if (this.#pending === pending) this.#pending = undefined;
    if (!this.#active) return;
    this.#onUnhandled(pending.reason, pending.promise);
  }

  #onUnhandled(reason: unknown, promise: unknown): void {
    try {
      if (typeof reason === "object" && reason !== null) {
        if (this.#reported.has(reason)) return;
        this.#reported.add(reason);
      }
      this.#options.report(this.#describe(reason, promise));
    } catch {
      // loopscope never throws into the application.
    }
  }

  #describe(
    reason: unknown,
    promise: unknown,
  ): UnhandledRejectionEvent | TaskExceptionNeverRetrievedEvent {
    const error = errorInfo(reason);
    const time = Date.now();
    const isPromise = typeof promise === "object" && promise !== null;
    const task = isPromise ? this.#options.taskOfPromise?.(promise) : undefined;
    const createdAt = isPromise ? this.#options.creationOf?.(promise) : undefined;
    if (task !== undefined) {
      return {
        type: "task-exception-never-retrieved",
        protocol: PROTOCOL_VERSION,
        time,
        pid: process.pid,
        error,
        stack: error.stack,
        task:
          task.createdAt.length === 0 && createdAt !== undefined ? { ...task, createdAt } : task,
      };
    }
    // The task it was created in: context even when its creation frames were sampled out.
    const context = isPromise ? this.#options.contextTaskOf?.(promise) : undefined;
    return {
      type: "unhandled-rejection",
      protocol: PROTOCOL_VERSION,
      time,
      pid: process.pid,
      error,
      stack: error.stack,
      ...(createdAt === undefined ? {} : { createdAt }),
      ...(context === undefined ? {} : { task: context }),
    };
  }
}
