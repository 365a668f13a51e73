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

/**
 * Why the loop stalled, as the watchdog's evidence tells it:
 * - `javascript`: one callback's JavaScript held the loop (`stack` is where it ran);
 * - `many-callbacks`: one turn of the loop ran many short callbacks, none of them long
 *   (`evidence.callbacks` is a lower bound; the fix is where they are scheduled);
 * - `native-call`: a call into native code (`JSON.parse`, `crypto.pbkdf2Sync`,
 *   `zlib.gunzipSync`) held the thread; `stack` starts at the line that made the call;
 * - `gc`: garbage collection held the thread for most of the stall (`evidence.gcMs`);
 * - `host-paused`: the whole process was not running (stopped, throttled, the host took
 *   the CPU): every thread was late by as much; no line is blamed;
 * - `unknown`: nothing the watchdog saw tells (no capture, durations-only mode).
 */
export type StallCause =
  "javascript" | "many-callbacks" | "native-call" | "gc" | "host-paused" | "unknown";

/** A callback the watchdog's captures found running during a stall, and how often. */
export interface SeenFunction {
  /** The outermost application frame of the captures that ran in it: the function the loop called. */
  readonly frame: Frame;
  /** Captures that found it. */
  readonly seen: number;
}

/** What the watchdog measured across a stall: the grounds of its {@link StallCause}. */
export interface StallEvidence {
  /**
   * The main thread's CPU time across the stall (from the heartbeat's last beat before it),
   * in milliseconds; the whole process's where Node cannot read a thread's own. Near
   * `durationMs`: the thread computed; far below: it waited (a synchronous wait, a pause).
   */
  readonly cpuMs?: number;
  /** Garbage-collection pauses inside the stall, in milliseconds. */
  readonly gcMs?: number;
  /**
   * Milliseconds inside the stall when the whole process was not running: the main
   * thread got no CPU and the watchdog thread's own timers were late by as much. Not
   * counted in `durationMs` when the loop was otherwise held (reported apart).
   */
  readonly pausedMs?: number;
  /** Stacks the watchdog captured during the stall. */
  readonly captures?: number;
  /** Distinct callbacks the captures found running: a lower bound of how many ran in the stall. */
  readonly callbacks?: number;
  /** `many-callbacks`: the callbacks the captures found most, most first (at most 5). */
  readonly functions?: readonly SeenFunction[];
  /** `native-call`: the native call that held the thread, e.g. `JSON.parse`, when loopscope saw it return. */
  readonly nativeCall?: string;
}

/** What the flight recorder keeps: the kinds of things that led up to a stall. */
export type RecorderEntryKind =
  | "task-start"
  | "task-end"
  | "task-cancel"
  | "loop-blocked"
  | "gc"
  | "unhandled-rejection"
  | "blocking-call";

/** One thing that happened, as the flight recorder keeps it. */
export interface RecorderEntry {
  /** Epoch milliseconds (for a block or a GC pause: when it ended). */
  readonly time: number;
  readonly kind: RecorderEntryKind;
  /**
   * The task it concerns (task entries, and a block, rejection or call inside a task): its
   * id and name; `createdAt` is empty (the recorder keeps no frames: the task dump and the
   * reports have them).
   */
  readonly task?: TaskRef;
  /** Blocks, GC pauses, blocking calls: how long. */
  readonly durationMs?: number;
  /**
   * A short description (at most 120 characters): a task's outcome (`done`, `failed`,
   * `cancelled`, as {@link TaskState} names them, or `never resumes`), why a task was
   * cancelled (the reason's name and message), a rejection's error name and message, a
   * blocking call's name, a block's cause (with `×N` for coalesced repeats), a GC's kind
   * (`major`, `minor`, `incremental`, `weak`).
   */
  readonly detail?: string;
}

/** The flight recorder's last seconds, as a report or a file carries them. */
export interface RecorderWindow {
  /** Epoch milliseconds of the window's start and end. */
  readonly from: number;
  readonly until: number;
  /** The entries, oldest first. */
  readonly entries: readonly RecorderEntry[];
  /**
   * Entries of the window left out to keep this one bounded, the oldest first. Blocks, GC
   * pauses, rejections and blocking calls are kept before task entries (up to half of the
   * bound), so a flood of tasks cannot push them out.
   */
  readonly omitted: number;
  /** Entries the ring dropped since the process started, to stay within its bounds. */
  readonly dropped: number;
  /**
   * Tasks started in the second before `until`, over every start and not only those in
   * `entries` (which, at a high rate, hold a few milliseconds of them).
   */
  readonly startsLastSecond?: RecorderStarts;
  /**
   * Present once the recorder has left tasks out: it records every task (its start, cancel
   * and end) up to 2,000 a second, then one in `oneIn`; `skipped` counts the tasks not
   * recorded since it started. Their starts still count in `startsLastSecond`.
   */
  readonly taskSampling?: { readonly oneIn: number; readonly skipped: number };
}

/** How many tasks started in a second, and under which names. */
export interface RecorderStarts {
  /** Every task started in that second (counted to a tenth of a second). */
  readonly count: number;
  /**
   * The most common names among the starts the recorder still held (`seen` of them), most
   * first, at most three: each name's first word, digits as `#`, as the task dump groups
   * them (`handle cattle-ab12` → `handle`).
   */
  readonly names: readonly { readonly name: string; readonly count: number }[];
  /** The starts of that second the recorder still held, that `names` were counted over. */
  readonly seen: number;
}

/**
 * The flight recorder as a file: `<pid>.recorder.json` in the rendezvous directory, written
 * when the process dies of an uncaught exception or an unhandled rejection, and when
 * `loopscope dump <pid> --recorder` asks.
 */
export interface RecorderFile {
  readonly protocol: typeof PROTOCOL_VERSION;
  readonly pid: number;
  /** Epoch milliseconds when it was written. */
  readonly time: number;
  /** Why: `uncaught exception: TypeError: ...`, `unhandled rejection: ...`, or `asked by loopscope dump`. */
  readonly reason: string;
  /** Every entry the recorder held; absent when the recorder is off (`LOOPSCOPE_RECORDER_SECONDS=0`). */
  readonly window?: RecorderWindow;
}

/** The loop did not turn for longer than the threshold (`LOOPSCOPE_SLOW_MS`): the watchdog's report. */
export interface LoopBlockedEvent extends EventBase {
  readonly type: "loop-blocked";
  /** Why the loop stalled. */
  readonly cause: StallCause;
  /** What the cause rests on. */
  readonly evidence: StallEvidence;
  /** The flight recorder's window leading up to the stall's end (bounded: at most 200 entries, 64 KB). */
  readonly recorder?: RecorderWindow;
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
