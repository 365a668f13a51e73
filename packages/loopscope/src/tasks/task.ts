import { recordTaskCancel, recordTaskEnd, recordTaskStart } from "../recorder/index.js";
import { captureCallerStack } from "../stacks/index.js";
import type { RawStack } from "../stacks/index.js";
import type { TaskState } from "../protocol/index.js";
import { context, switchTask } from "./context.js";
import type { PendingNode } from "./registry.js";
import { PendingList } from "./registry.js";
import { setOwnerTask } from "./promise-tags.js";
import { StackSampler } from "./sampler.js";

/**
 * A named unit of async work, like asyncio's `Task`: an id, a name, a parent, the
 * promise of its result, an `AbortSignal` that fires when it is cancelled.
 *
 * @typeParam T - the value the task's function resolves to.
 */
export interface Task<T = unknown> {
  /** Unique in this process, increasing. */
  readonly id: number;
  readonly name: string;
  /** The task this one was spawned under, if any. Cancelling a parent cancels its children. */
  readonly parent: Task | undefined;
  /**
   * Aborted when the task is cancelled (by {@link Task.cancel}, `cancelTask(id)`, its
   * parent's cancellation or the `signal` passed to `spawn`). Created on first access.
   */
  readonly signal: AbortSignal;
  /**
   * Settles as the task's function did, with the same value or reason. If nobody
   * handles a rejection, Node reports it as an unhandled rejection, as it would have.
   */
  readonly promise: Promise<T>;
  /**
   * `pending` (waiting), `running` (its code is on the stack now, as far as known),
   * `done`, `failed`, or `cancelled` (it rejected after a cancellation was requested).
   */
  readonly state: TaskState;
  /** Whether cancellation was requested. The task decides when to stop, through its signal. */
  readonly cancelRequested: boolean;
  /** Request cancellation: aborts {@link Task.signal} and cancels the children. Idempotent. */
  cancel(reason?: unknown): void;
}

/** Options of `spawn`. */
export interface SpawnOptions {
  /**
   * The parent task. Defaults to the task running now ({@link currentTask}), if any.
   * Cancelling the parent cancels this task.
   */
  readonly parent?: Task;
  /** Cancels the task when it aborts. */
  readonly signal?: AbortSignal;
}

const enum Settled {
  No = 0,
  Done = 1,
  Failed = 2,
  Cancelled = 3,
  /** Reported by the never-resumes check and dropped from the registry. */
  Lost = 4,
}

/** Frames above the creation site: `spawn` and the caller's frame we want are below. */
const CREATION_FRAMES = 8;

/**
 * Production mode's creation stacks: freely up to 100 a second (bursts of 100), then 1 in
 * 4,096. In Mayhem a capture costs about 10 µs (V8 walks the async chain too), and 1,000
 * a second plus 1 in 256 of 180,000 tasks a second took 2 % of the main thread: the whole
 * budget of production mode twice over. This keeps it near 0.2 %; a dump still shows where
 * each kind of task comes from, since tasks of one kind share their creation site.
 */
export const creationSampler = new StackSampler(100, 100, 4096);

/**
 * Debug mode's creation stacks: freely up to 5,000 a second (bursts of 1,000), then 1 in
 * 32. A capture costs 3–10 µs, and Mayhem at full speed spawns about 75,000 tasks a second
 * in debug mode: capturing every one would take debug mode past its budget of 3 times
 * slower. A failure report for a task sampled out names its nearest ancestor's creation
 * instead (see `debug-lookups.ts`), and the dump counts what was sampled out.
 */
export const debugCreationSampler = new StackSampler(5_000, 1_000, 32);

/** Every task not yet settled, in creation order. */
export const registry = new PendingList<TaskImpl>();

/**
 * The never-resumes check hooks in here: `onPending` is called when a task stays pending
 * while `watching` is false (it then starts its timer and sets `watching`), so a spawn
 * pays one boolean read.
 */
export const lifecycle: {
  onPending: (() => void) | undefined;
  watching: boolean;
  /** The finished-task history (history.ts), when kept: told of each task that settles. */
  onFinished:
    ((task: TaskImpl, outcome: Exclude<Settled, Settled.No>, error: unknown) => void) | undefined;
} = {
  onPending: undefined,
  watching: false,
  onFinished: undefined,
};

let nextId = 1;

/** A settled task's outcome as the flight recorder says it: constants, so recording copies nothing. */
const OUTCOME_TEXT = ["", "done", "failed", "cancelled", "never resumes"] as const;

/**
 * A task's cancellation state, apart from the task: most tasks are never cancelled and
 * never asked for their signal, so they do not carry these fields.
 */
class Cancellation {
  reason: unknown = undefined;
  /** Created on first access to `signal`, or to abort it. */
  controller: AbortController | undefined = undefined;
  /** The `signal` option, listened to until the task settles. */
  external: AbortSignal | undefined = undefined;
}

/**
 * The one object per task. Fields instead of closures; cancellation state and the
 * AbortController only when needed; the registry and the children linked through the
 * tasks themselves (intrusive lists), so spawning and finishing allocate nothing else
 * but the promise the application gets.
 */
export class TaskImpl<T = unknown> implements Task<T>, PendingNode<TaskImpl> {
  promise!: Promise<T>;
  /** `performance.now()` at creation. */
  readonly createdMs: number;
  /** Where it was created; undefined when sampled out. */
  creation: RawStack | undefined = undefined;
  settled: Settled = Settled.No;
  cancelRequested = false;
  /** The flight recorder records this task (its start was): its cancel and end go there too. */
  recorded = false;
  /**
   * The function's promise, held strongly only until the never-resumes check takes it
   * over (weakly, through a FinalizationRegistry).
   */
  inner: Promise<unknown> | undefined = undefined;
  prevPending: TaskImpl | undefined = undefined;
  nextPending: TaskImpl | undefined = undefined;
  firstChild: TaskImpl | undefined = undefined;
  nextSibling: TaskImpl | undefined = undefined;
  prevSibling: TaskImpl | undefined = undefined;
  private cancellation: Cancellation | undefined = undefined;
  /** Debug mode: milliseconds spent running on the loop (its steps), and how many steps. */
  busyMs = 0;
  steps = 0;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly parent: TaskImpl | undefined,
    nowMs: number,
  ) {
    this.createdMs = nowMs;
  }

  get signal(): AbortSignal {
    const cancellation = this.cancelState();
    if (cancellation.controller === undefined) {
      cancellation.controller = new AbortController();
      if (this.cancelRequested) cancellation.controller.abort(cancellation.reason);
    }
    return cancellation.controller.signal;
  }

  get state(): TaskState {
    switch (this.settled) {
      case Settled.Done:
        return "done";
      case Settled.Failed:
        return "failed";
      case Settled.Cancelled:
        return "cancelled";
      default:
        return context.current === this ? "running" : "pending";
    }
  }

  /** Whether the never-resumes check reported and dropped this task. */
  get lost(): boolean {
    return this.settled === Settled.Lost;
  }

  /** Why it was cancelled (`undefined` until then). @internal */
  get cancelReason(): unknown {
    return this.cancellation?.reason;
  }

  cancel(reason?: unknown): void {
    cancelTree(this, reason);
  }

  /** `EventListener` for the `signal` option: no closure per task. @internal */
  handleEvent(): void {
    cancelTree(this, this.cancellation?.external?.reason);
  }

  /** @internal */
  listenTo(signal: AbortSignal): void {
    if (signal.aborted) {
      cancelTree(this, signal.reason);
      return;
    }
    this.cancelState().external = signal;
    signal.addEventListener("abort", this, { once: true });
  }

  /** Mark cancelled and abort the signal, if there is one already. @internal */
  requestCancel(reason: unknown): void {
    this.cancelRequested = true;
    this.cancelState().reason = reason;
  }

  /** Fire the signal, if someone asked for it. @internal */
  abortSignal(): void {
    const cancellation = this.cancellation;
    cancellation?.controller?.abort(cancellation.reason);
  }

  /** Leave the registry with a final state (`error`: what it failed or was cancelled with). @internal */
  finish(outcome: Exclude<Settled, Settled.No>, error?: unknown): void {
    if (this.settled !== Settled.No) return;
    this.settled = outcome;
    registry.remove(this);
    if (this.recorded) recordTaskEnd(this.id, this.name, OUTCOME_TEXT[outcome]);
    // Before the creation frames are let go: the history keeps them.
    lifecycle.onFinished?.(this, outcome, error);
    this.inner = undefined;
    // Debug mode reports a failed task nobody awaited with where it was created
    // (src/debug/), or, when that was sampled out, where its nearest ancestor was: so
    // every task keeps its creation; it lives only as long as its promise and children.
    if (!context.debug) this.creation = undefined;
    if (this.parent !== undefined) this.unlink(this.parent);
    const external = this.cancellation?.external;
    if (external !== undefined) {
      external.removeEventListener("abort", this);
      this.cancellation!.external = undefined;
    }
  }

  private cancelState(): Cancellation {
    return (this.cancellation ??= new Cancellation());
  }

  private unlink(parent: TaskImpl): void {
    if (this.prevSibling !== undefined) this.prevSibling.nextSibling = this.nextSibling;
    else if (parent.firstChild === this) parent.firstChild = this.nextSibling;
    if (this.nextSibling !== undefined) this.nextSibling.prevSibling = this.prevSibling;
    this.prevSibling = this.nextSibling = undefined;
  }

  /** @internal */
  link(parent: TaskImpl): void {
    if (parent.settled !== Settled.No) return;
    const first = parent.firstChild;
    if (first !== undefined) first.prevSibling = this;
    this.nextSibling = first;
    parent.firstChild = this;
  }
}

/** Outcome codes, for modules of this folder. @internal */
export const Outcome = {
  Done: Settled.Done,
  Failed: Settled.Failed,
  Cancelled: Settled.Cancelled,
  Lost: Settled.Lost,
} as const;

function cancelTree(task: TaskImpl, reason: unknown): void {
  if (task.cancelRequested || task.settled !== Settled.No) return;
  const why = reason ?? new DOMException("The task was cancelled", "AbortError");
  task.requestCancel(why);
  if (task.recorded) recordTaskCancel(task.id, task.name, why);
  let child = task.firstChild;
  while (child !== undefined) {
    // Read the next one first: an abort listener may finish (unlink) this child.
    const next = child.nextSibling;
    cancelTree(child, why);
    child = next;
  }
  // The signal fires last, so listeners see the whole subtree marked as cancelled.
  task.abortSignal();
}

/**
 * Start `fn` as a named task, like `asyncio.create_task`: it runs now, up to its first
 * `await`, and the task is registered until its promise settles.
 *
 * @param name - shown in dumps and events, e.g. `handle cattle-ab12`.
 * @param fn - the work; receives the task (for its `signal`).
 * @param options - parent task and an outside `AbortSignal`.
 * @throws TypeError when `name` is not a string or `fn` not a function.
 * @example
 * ```ts
 * const task = spawn(`handle ${msg.id}`, async (t) => {
 *   await save(msg, { signal: t.signal });
 * });
 * await task.promise;
 * ```
 */
export function spawn<T>(
  name: string,
  fn: (task: Task<T>) => Promise<T> | T,
  options?: SpawnOptions,
): Task<T> {
  if (typeof name !== "string") {
    throw new TypeError(`spawn: "name" must be a string, received ${describe(name)}`);
  }
  if (typeof fn !== "function") {
    throw new TypeError(`spawn: "fn" must be a function, received ${describe(fn)}`);
  }
  let parent: TaskImpl | undefined = context.current;
  if (options !== undefined) {
    if (options.parent !== undefined) {
      if (!(options.parent instanceof TaskImpl)) {
        throw new TypeError(
          `spawn: "options.parent" must be a task spawn() returned, received ${describe(options.parent)}`,
        );
      }
      parent = options.parent;
    }
  }
  const nowMs = performance.now();
  const task = new TaskImpl<T>(nextId++, name, parent, nowMs);
  const debug = context.debug;
  if ((debug ? debugCreationSampler : creationSampler).take(nowMs)) {
    task.creation = captureCallerStack(CREATION_FRAMES);
  }
  registry.add(task);
  task.recorded = recordTaskStart(task.id, name, nowMs);
  if (parent !== undefined) {
    task.link(parent);
    if (parent.cancelRequested) cancelTree(task, parent.cancelReason);
  }
  const signal = options?.signal;
  if (signal !== undefined) {
    if (!(signal instanceof AbortSignal)) {
      task.finish(Settled.Failed);
      throw new TypeError(
        `spawn: "options.signal" must be an AbortSignal, received ${describe(signal)}`,
      );
    }
    task.listenTo(signal);
  }

  const previous = context.current;
  // The first step runs now; debug mode counts and times it like the later ones.
  if (debug) {
    task.steps = 1;
    switchTask(task, nowMs);
  } else {
    context.current = task;
  }
  let result: Promise<T> | T;
  try {
    result = fn(task);
  } catch (error) {
    if (debug) switchTask(previous);
    else context.current = previous;
    task.finish(task.cancelRequested ? Settled.Cancelled : Settled.Failed, error);
    // The function's own reason, whatever it is: the application decides what it throws.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    task.promise = Promise.reject(error);
    return task;
  }
  if (debug) switchTask(previous);
  else context.current = previous;
  if (isThenable(result)) {
    const inner = Promise.resolve(result);
    task.inner = inner;
    // Debug mode's hooks ignore the promises of our own bookkeeping.
    context.quiet = true;
    task.promise = settleWith(task, inner);
    context.quiet = false;
    // Debug mode: so an `await` on it says it waits on this task, and a failure names it.
    if (context.debug) setOwnerTask(task.promise, task);
    if (!lifecycle.watching) lifecycle.onPending?.();
  } else {
    task.finish(Settled.Done);
    task.promise = Promise.resolve(result);
  }
  return task;
}

/**
 * The promise the application sees: the same value or reason as the function's own.
 * The function's promise is handled here (so its rejection is not reported twice);
 * this one is left to the application, so an ignored failure still reaches Node's
 * unhandled-rejection handling.
 */
function settleWith<T>(task: TaskImpl<T>, inner: Promise<T>): Promise<T> {
  return inner.then(
    (value) => {
      task.finish(Settled.Done);
      return value;
    },
    (error: unknown) => {
      task.finish(task.cancelRequested ? Settled.Cancelled : Settled.Failed, error);
      throw error;
    },
  );
}

function isThenable<T>(value: Promise<T> | T): value is Promise<T> {
  return (
    value instanceof Promise ||
    (typeof value === "object" &&
      value !== null &&
      typeof (value as { then?: unknown }).then === "function")
  );
}

/** The task whose code is running now: known during a task's synchronous steps, and across awaits in debug mode. */
export function currentTask(): Task | undefined {
  return context.current;
}

/**
 * Cancel a pending task by id: its signal aborts and its children are cancelled.
 * The task becomes `cancelled` when it then rejects (typically with the AbortError).
 *
 * @returns `false` when no pending task has this id.
 */
export function cancelTask(id: number, reason?: unknown): boolean {
  const task = registry.find(id);
  if (task === undefined) return false;
  cancelTree(task, reason);
  return true;
}

/** How many tasks are pending (or running) now. */
export function pendingTaskCount(): number {
  return registry.size;
}

/** The registered task with this id, if still pending. */
export function findTask(id: number): Task | undefined {
  return registry.find(id);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "Object"})`;
  if (typeof value === "symbol" || typeof value === "bigint")
    return `${typeof value} ${value.toString()}`;
  if (value === undefined) return "undefined";
  return `${typeof value} ${JSON.stringify(value)}`;
}
