/**
 * The plain data every loopscope diagnostic is made of. Collectors produce it,
 * renderers (text, JSON, later web and terminal) consume it; nothing here holds
 * a live object. These shapes are a contract (../../../../DESIGN.md, "Contracts"):
 * tests and outside tools read them, so change them only by adding fields.
 */

/** One stack frame, innermost first in every `stack` array. */
export interface Frame {
  /** Function name as V8 reports it (`handleMessage`, `Timeout.listOnTimeout`), or `<anonymous>`. */
  readonly fn: string;
  /** Absolute path (not a `file://` URL) for files, `node:internal/...` for Node's own code. */
  readonly file: string;
  /** 1-based line, after source mapping. */
  readonly line: number;
  /** 1-based column, after source mapping. */
  readonly col: number;
  /** Node's own code (`node:` and `internal/` files). Folded in text output. */
  readonly internal?: boolean;
  /** loopscope's own code. Folded in text output. */
  readonly loopscope?: boolean;
}

/** A task as events refer to it. */
export interface TaskRef {
  readonly id: number;
  readonly name: string;
  /** Where the task was created, innermost first; empty when not captured (sampled out under load). */
  readonly createdAt: readonly Frame[];
  /**
   * Only when `createdAt` is empty (sampled out): the nearest ancestor task whose creation
   * frames were captured, and how many generations up it is (1: the parent).
   */
  readonly ancestorCreatedAt?: {
    readonly id: number;
    readonly name: string;
    readonly generations: number;
    readonly createdAt: readonly Frame[];
  };
}

export type TaskState = "pending" | "running" | "done" | "failed" | "cancelled";

/** What a pending task waits on now. */
export interface Awaiting {
  /** Human description: `timer 1000 ms`, `socket read`, `task 17 "save cattle-ab12"`, `promise created at file:line`, `unknown`. */
  readonly what: string;
  /** The `await` the task is suspended on, innermost first; empty if unknown. */
  readonly at: readonly Frame[];
  /** Milliseconds since the task started waiting on it. */
  readonly sinceMs: number;
}

export interface TaskSnapshot {
  readonly id: number;
  readonly name: string;
  readonly state: TaskState;
  readonly ageMs: number;
  readonly parentId?: number;
  readonly createdAt: readonly Frame[];
  readonly awaiting?: Awaiting;
  /** Cancellation was requested and the task has not settled yet. */
  readonly cancelRequested?: boolean;
  /** Debug mode only: milliseconds spent running on the loop (the task's steps, its own time only). */
  readonly busyMs?: number;
  /** Debug mode only: milliseconds not running (`ageMs - busyMs`): waiting, or queued behind other work. */
  readonly idleMs?: number;
  /** Debug mode only: how many times the task ran (its first step, then each resumption or callback). */
  readonly steps?: number;
  /**
   * Node's own work, not the application's: an async call outside any task whose frames
   * are all Node-internal or loopscope's (module loading, for one). Kept in the event;
   * the text dump folds such entries into one summary line.
   */
  readonly internal?: boolean;
}

interface EventBase {
  /** Epoch milliseconds. */
  readonly time: number;
  /** Process id of the watched process. */
  readonly pid: number;
}

export interface LoopBlockedEvent extends EventBase {
  readonly type: "loop-blocked";
  readonly durationMs: number;
  /** The stack of the blocking code, captured while it blocked; empty when nothing could be captured. */
  readonly stack: readonly Frame[];
  /** Why `stack` may be missing or late, e.g. `captured after the block ended (native call)`. */
  readonly note?: string;
  readonly task?: TaskRef;
  /** Blocks at the same place coalesced into this report. */
  readonly count: number;
}

export interface UnhandledRejectionEvent extends EventBase {
  readonly type: "unhandled-rejection";
  readonly error: ErrorInfo;
  readonly stack: readonly Frame[];
  /** Where the failed work was created, across async boundaries (debug mode). */
  readonly createdAt?: readonly Frame[];
  readonly task?: TaskRef;
}

export interface TaskExceptionNeverRetrievedEvent extends EventBase {
  readonly type: "task-exception-never-retrieved";
  readonly error: ErrorInfo;
  readonly stack: readonly Frame[];
  readonly task: TaskRef;
}

export interface BlockingCallEvent extends EventBase {
  readonly type: "blocking-call";
  /** e.g. `fs.readFileSync`. */
  readonly call: string;
  readonly durationMs: number;
  readonly stack: readonly Frame[];
  readonly task?: TaskRef;
  /** Calls from this site since the last report (rate limiting). */
  readonly count: number;
}

export interface SlowCallbackEvent extends EventBase {
  readonly type: "slow-callback";
  readonly durationMs: number;
  readonly stack: readonly Frame[];
  readonly task?: TaskRef;
}

export interface TaskDumpEvent extends EventBase {
  readonly type: "task-dump";
  readonly tasks: readonly TaskSnapshot[];
  /** `production` or `debug`: what the dump could know. */
  readonly mode: "production" | "debug";
  /** Tasks whose creation frames were sampled out under load. */
  readonly unsampled?: number;
  /** Node's active handles and requests by kind, e.g. `{ Timeout: 3, TCPSocketWrap: 1 }`. */
  readonly resources?: Readonly<Record<string, number>>;
  /** How stacks were sampled under load, so a reader knows what is missing. */
  readonly sampling?: DumpSampling;
}

/** Sampling of a task dump's stacks: captured freely up to a rate, then one in N. */
export interface DumpSampling {
  /** Creation frames: one in this many captured under load. */
  readonly creationOneIn: number;
  /** Creation frames not captured since the process started. */
  readonly creationSkipped: number;
  /** Debug mode: await sites captured one in this many under load. */
  readonly awaitOneIn?: number;
  /** Debug mode: await sites and promise creations not captured. */
  readonly awaitSkipped?: number;
  /** Debug mode: awaits not remembered because the bound was reached. */
  readonly awaitsDropped?: number;
}

export interface TaskNeverResumesEvent extends EventBase {
  readonly type: "task-never-resumes";
  readonly task: TaskRef;
  /** The await the task is stuck on. */
  readonly stack: readonly Frame[];
}

export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
  /** The error's own stack, source-mapped, innermost first. */
  readonly stack: readonly Frame[];
}

export type LoopscopeEvent =
  | LoopBlockedEvent
  | UnhandledRejectionEvent
  | TaskExceptionNeverRetrievedEvent
  | BlockingCallEvent
  | SlowCallbackEvent
  | TaskDumpEvent
  | TaskNeverResumesEvent;

export type LoopscopeEventType = LoopscopeEvent["type"];
