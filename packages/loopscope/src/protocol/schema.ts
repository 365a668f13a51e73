/**
 * The plain data every loopscope diagnostic is made of. Collectors produce it,
 * renderers (text, JSON, later web and terminal) consume it; nothing here holds
 * a live object. These shapes are a contract (../../../../DESIGN.md, "Contracts"):
 * tests and outside tools read them, so change them only by adding fields, and
 * see {@link PROTOCOL_VERSION} for what a change that is not an addition implies.
 */
import type { PROTOCOL_VERSION } from "./version.js";

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
  /** The task's id, unique in the process (as `cancelTask(id)` takes it). */
  readonly id: number;
  /** The name it was spawned with, e.g. `handle cattle-ab12`. */
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

/**
 * Where a task is in its life: `pending` (waiting), `running` (on the loop now), then one of
 * `done`, `failed` or `cancelled` (its signal aborted and it settled with the abort).
 */
export type TaskState = "pending" | "running" | "done" | "failed" | "cancelled";

/**
 * The kind of thing a task awaits, as the collector knows it for sure: another task, a
 * timer, Node's own code suspended in a file operation, a socket or stream read, an
 * `events.once`, a DNS lookup or a child process (`node` for the rest of Node's code),
 * a promise whose creation site is known, or `unknown`. Clients group and filter on
 * it; `what` is the text for people.
 */
export type AwaitKind =
  | "task"
  | "timer"
  | "file"
  | "stream"
  | "event"
  | "dns"
  | "child-process"
  | "node"
  | "promise"
  | "unknown";

/** What a pending task waits on now. */
export interface Awaiting {
  /** What kind of thing it is: read this, not `what`, to tell tasks, timers, I/O apart. */
  readonly kind: AwaitKind;
  /** Human description: `timer 1000 ms`, `socket read`, `task 17 "save cattle-ab12"`, `promise created at file:line`, `unknown`. */
  readonly what: string;
  /** The `await` the task is suspended on, innermost first; empty if unknown. */
  readonly at: readonly Frame[];
  /** Milliseconds since the task started waiting on it. */
  readonly sinceMs: number;
}

/**
 * One pending task (or, in debug mode, one async call outside any task) at the moment of a
 * dump: plain data, copied, safe to keep.
 */
export interface TaskSnapshot {
  /** The task's id; 0 for an async call outside any task (debug mode), which has none. */
  readonly id: number;
  /** The task's name; `async <function>` for an async call outside any task. */
  readonly name: string;
  readonly state: TaskState;
  /** Milliseconds since the task was created (for an untracked call: since its await). */
  readonly ageMs: number;
  /** The task it was spawned under, if any. */
  readonly parentId?: number;
  /** Where the task was created, innermost first; empty when not captured (sampled out under load). */
  readonly createdAt: readonly Frame[];
  /** What it waits on now: the whole await in debug mode, a coarser view in production mode. */
  readonly awaiting?: Awaiting;
  /** Cancellation was requested and the task has not settled yet. */
  readonly cancelRequested?: boolean;
  /**
   * Reported as `task-never-resumes`: what it awaits can never settle. It stays in later
   * dumps (as `pending`: it will never be anything else), frozen as it was when found.
   */
  readonly neverResumes?: boolean;
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
  /** The version of this schema the event follows: {@link PROTOCOL_VERSION}. */
  readonly protocol: typeof PROTOCOL_VERSION;
  /** Epoch milliseconds. */
  readonly time: number;
  /** Process id of the watched process. */
  readonly pid: number;
}

/** The loop did not turn for longer than the threshold (`LOOPSCOPE_SLOW_MS`): the watchdog's report. */
export interface LoopBlockedEvent extends EventBase {
  readonly type: "loop-blocked";
  /** How long the loop was blocked, measured when it turned again. */
  readonly durationMs: number;
  /** The stack of the blocking code, captured while it blocked; empty when nothing could be captured. */
  readonly stack: readonly Frame[];
  /** Why `stack` may be missing or late, e.g. `captured after the block ended (native call)`. */
  readonly note?: string;
  /** The task that was running when the loop blocked, if any. */
  readonly task?: TaskRef;
  /** Blocks at the same place coalesced into this report. */
  readonly count: number;
  /**
   * Epoch milliseconds when the block ended (for coalesced repeats, the longest one's).
   * `time` is when the report went out: a coalescing window later for repeats.
   */
  readonly endedAt?: number;
}

/** A promise rejected and nobody handled it (Node's `unhandledRejection`). */
export interface UnhandledRejectionEvent extends EventBase {
  readonly type: "unhandled-rejection";
  readonly error: ErrorInfo;
  /** The error's own stack (as `error.stack`), innermost first. */
  readonly stack: readonly Frame[];
  /** Where the failed work was created, across async boundaries (debug mode). */
  readonly createdAt?: readonly Frame[];
  /** The task the rejected promise belonged to, if any. */
  readonly task?: TaskRef;
}

/** A task failed and nobody awaited or handled its result (asyncio's "Task exception was never retrieved"). */
export interface TaskExceptionNeverRetrievedEvent extends EventBase {
  readonly type: "task-exception-never-retrieved";
  readonly error: ErrorInfo;
  /** The error's own stack, innermost first. */
  readonly stack: readonly Frame[];
  /** The failed task, with where it was created. */
  readonly task: TaskRef;
}

/** A blocking synchronous call on the main thread after start-up (debug mode). */
export interface BlockingCallEvent extends EventBase {
  readonly type: "blocking-call";
  /** e.g. `fs.readFileSync`. */
  readonly call: string;
  /** How long this call held the thread. */
  readonly durationMs: number;
  /** The call's stack, innermost application frame first: the line that made the call. */
  readonly stack: readonly Frame[];
  /** The task that made the call, if any. */
  readonly task?: TaskRef;
  /** Calls from this site since the last report (rate limiting). */
  readonly count: number;
}

/** A callback or task step ran longer than the threshold (debug mode). */
export interface SlowCallbackEvent extends EventBase {
  readonly type: "slow-callback";
  /** How long it ran. */
  readonly durationMs: number;
  /** The code that was running, captured while it ran; empty when nothing could be captured. */
  readonly stack: readonly Frame[];
  /** The task it belongs to, if any. */
  readonly task?: TaskRef;
}

/** Every pending task, as SIGUSR2 or `writeDump()` asks for it. */
export interface TaskDumpEvent extends EventBase {
  readonly type: "task-dump";
  /** The pending tasks in creation order (a parent before its children), then, in debug mode, the async calls outside any task (id 0). */
  readonly tasks: readonly TaskSnapshot[];
  /** `production` or `debug`: what the dump could know. */
  readonly mode: "production" | "debug";
  /** Tasks whose creation frames were sampled out under load. */
  readonly unsampled?: number;
  /** Tasks found never to resume that are no longer listed: only the latest 1,000 are kept. */
  readonly neverResumesNotListed?: number;
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

/** A task awaits a promise whose resolvers are gone: nothing can settle it any more. */
export interface TaskNeverResumesEvent extends EventBase {
  readonly type: "task-never-resumes";
  /** The stuck task. */
  readonly task: TaskRef;
  /** The await the task is stuck on. */
  readonly stack: readonly Frame[];
}

/** An error as events carry it: plain data, not the live object. */
export interface ErrorInfo {
  /** `error.name`, e.g. `RestartFailedError`. */
  readonly name: string;
  /** `error.message`. */
  readonly message: string;
  /** The error's own stack, source-mapped, innermost first. */
  readonly stack: readonly Frame[];
}

/** Every diagnostic loopscope emits; `type` tells which. */
export type LoopscopeEvent =
  | LoopBlockedEvent
  | UnhandledRejectionEvent
  | TaskExceptionNeverRetrievedEvent
  | BlockingCallEvent
  | SlowCallbackEvent
  | TaskDumpEvent
  | TaskNeverResumesEvent;

/** The `type` of a {@link LoopscopeEvent}, e.g. `loop-blocked`. */
export type LoopscopeEventType = LoopscopeEvent["type"];
