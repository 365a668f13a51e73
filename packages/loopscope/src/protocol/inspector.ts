/**
 * The inspector's wire format: what its HTTP endpoints answer and what its live channel
 * (a WebSocket at `/api/live`) carries. Plain data, like ./schema.ts, whose task and event
 * shapes it reuses; the web dashboard and `loopscope top` read only this.
 *
 * Every message and every JSON answer carries `protocol` ({@link PROTOCOL_VERSION}): a
 * client refuses a version it does not know. Endpoints (all need the token, as a
 * `loopscope_token_<port>` cookie or an `Authorization: Bearer` header):
 *
 * | Method and path                 | Answer                                   |
 * | ------------------------------- | ---------------------------------------- |
 * | `GET /api/status`               | {@link InspectorStatus}                  |
 * | `GET /api/tasks?…`              | {@link TaskQueryAnswer} ({@link TaskQuery} as the query string) |
 * | `GET /api/tasks/<id>`           | {@link TaskDetailAnswer}                 |
 * | `GET /api/finished?limit=N`     | {@link FinishedTasksAnswer}              |
 * | `GET /api/events?limit=N`       | {@link RecentEventsAnswer}               |
 * | `GET /api/loop`                 | {@link LoopSamplesAnswer}                |
 * | `GET /api/recorder?limit=N`     | {@link RecorderAnswer}                   |
 * | `POST /api/profile?seconds=N`   | a `.cpuprofile` (Chrome DevTools' format) |
 * | `POST /api/tasks/<id>/cancel`   | {@link CancelAnswer}; 403 unless control is enabled |
 * | `GET /api/live` (WebSocket)     | {@link LiveMessage}s; the client sends {@link LiveRequest}s |
 *
 * Errors answer `{ protocol, error: { code, message } }` ({@link ErrorAnswer}) with a 4xx
 * or 5xx status.
 */
import type {
  LoopscopeEvent,
  TaskSnapshot,
  ErrorInfo,
  Frame,
  RecorderWindow,
  TaskRef,
} from "./schema.js";
import type { PROTOCOL_VERSION } from "./version.js";

interface Versioned {
  /** {@link PROTOCOL_VERSION}: the schema this message follows. */
  readonly protocol: typeof PROTOCOL_VERSION;
}

/** What a task query may ask for; every field is optional. */
export interface TaskQuery {
  /** Keep tasks whose name contains this text (case-sensitive), or matches it as a regular expression when `regex` is set. */
  readonly name?: string;
  /** Read `name` as a regular expression (JavaScript syntax, at most 200 characters). */
  readonly regex?: boolean;
  /** Keep tasks in this state (`pending` or `running`: finished tasks are in the history). */
  readonly state?: "pending" | "running";
  /** Keep tasks at least this old, in milliseconds. */
  readonly minAgeMs?: number;
  /** Keep tasks created at this site: `file:line` of the first application frame of `createdAt`, as groups by site name it. */
  readonly site?: string;
  /** Group the matching tasks: by creation site, or by identical subtrees (as the text dump does). */
  readonly group?: "site" | "subtree";
  /** Order of `tasks`: oldest first (`age`, the default), most busy first (`busy`, debug mode), or by `name`. */
  readonly sort?: "age" | "busy" | "name";
  /** At most this many tasks in the answer (default 100, at most 1,000): the top N of `sort`. */
  readonly limit?: number;
}

/** A group of tasks that match a query, with how many it holds. */
export interface TaskGroupSummary {
  /** The group's key: the creation site (`file:line`), or the subtree's shape. */
  readonly key: string;
  /** A readable label: the site with its function, or the subtree's root name. */
  readonly label: string;
  readonly count: number;
  /** The oldest task's age in the group. */
  readonly oldestAgeMs: number;
  /** One task of the group, to show where its members wait. */
  readonly example: TaskSnapshot;
}

/**
 * Whether an answer is the main thread's own, computed now, or the last one the server
 * kept because the main thread did not answer in time (its loop was blocked).
 */
export interface Freshness {
  /** `true` when this answer was computed before now: the loop did not answer in time. */
  readonly stale: boolean;
  /** Epoch milliseconds when the main thread computed this answer. */
  readonly computedAt: number;
  /** Set while the loop is blocked: since when, and the stack the watchdog captured. */
  readonly blocked?: BlockedNow;
}

/** The main loop is blocked now. */
export interface BlockedNow {
  /** Epoch milliseconds of the last heartbeat: the loop has not turned since. */
  readonly since: number;
  /** How long it has been blocked, in milliseconds, when the server answered. */
  readonly forMs: number;
  /** The blocking code, captured by the watchdog while it blocks; empty until captured. */
  readonly stack: readonly Frame[];
  /** The task that was running when it was captured, if any. */
  readonly task?: Pick<TaskRef, "id" | "name">;
}

export interface TaskQueryAnswer extends Versioned, Freshness {
  readonly type: "tasks";
  /** The query this answers, as the server read it: a client that changed its query since ignores an answer to the old one. */
  readonly query: TaskQuery;
  readonly mode: "production" | "debug";
  /** Pending tasks in the process. */
  readonly total: number;
  /** Tasks the query matched; `tasks` holds at most `limit` of them. */
  readonly matched: number;
  readonly tasks: readonly TaskSnapshot[];
  /** With `group`: every group of the matching tasks, largest first (at most 200). */
  readonly groups?: readonly TaskGroupSummary[];
  /** Tasks whose creation frames were sampled out under load: the page says so instead of showing nothing. */
  readonly unsampled: number;
}

/** One pending task in full, with its children. */
export interface TaskDetailAnswer extends Versioned, Freshness {
  readonly type: "task";
  readonly task: TaskSnapshot;
  /** Its pending children (at most 100), oldest first. */
  readonly children: readonly TaskSnapshot[];
  readonly childCount: number;
}

/** How a finished task ended. */
export interface FinishedTask {
  readonly id: number;
  readonly name: string;
  readonly parentId?: number;
  readonly outcome: "done" | "failed" | "cancelled";
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly endedAt: number;
  readonly durationMs: number;
  /** `failed`: the error. */
  readonly error?: ErrorInfo;
  /** `cancelled`: the reason, as text. */
  readonly reason?: string;
  /** Where it was created, when captured. */
  readonly createdAtFrames: readonly Frame[];
}

export interface FinishedTasksAnswer extends Versioned, Freshness {
  readonly type: "finished";
  /** Most recent first. */
  readonly tasks: readonly FinishedTask[];
  /** Finished tasks no longer kept (the history is bounded by count and by age). */
  readonly dropped: number;
}

export interface RecentEventsAnswer extends Versioned {
  readonly type: "events";
  /** Most recent last; task dumps are left out (they are what `/api/tasks` answers). */
  readonly events: readonly LoopscopeEvent[];
  /** Events no longer kept. */
  readonly dropped: number;
}

/** The loop over one interval (one a second). */
export interface LoopSample {
  /** Epoch milliseconds at the interval's end. */
  readonly time: number;
  readonly delayP50Ms: number;
  readonly delayP99Ms: number;
  readonly delayMaxMs: number;
  /** Share of the interval the loop was busy, 0 to 1. */
  readonly utilization: number;
  readonly tasksPending: number;
}

export interface LoopSamplesAnswer extends Versioned {
  readonly type: "loop";
  /** Oldest first, the last ten minutes at most. */
  readonly samples: readonly LoopSample[];
}

/**
 * The flight recorder's last seconds: its newest `limit` entries at most (default 1,000,
 * at most 4,096) and 1 MiB, blocks, GC pauses, rejections and blocking calls kept before
 * task entries.
 */
export interface RecorderAnswer extends Versioned, Freshness {
  readonly type: "recorder";
  /** Absent when the process runs without the recorder (`LOOPSCOPE_RECORDER_SECONDS=0`). */
  readonly window?: RecorderWindow;
}

/** The process, as the status endpoint and the live channel describe it. */
export interface InspectorStatus extends Versioned {
  readonly type: "status";
  readonly pid: number;
  /** `process.version`, e.g. `v22.23.5`. */
  readonly node: string;
  /** The watched program: `process.argv` past the node binary, joined. */
  readonly command: string;
  readonly uptimeMs: number;
  readonly memory: {
    readonly rss: number;
    readonly heapUsed: number;
    readonly heapTotal: number;
    readonly external: number;
  };
  readonly mode: "production" | "debug";
  /** Whether control actions (cancel) are enabled (`LOOPSCOPE_INSPECT_CONTROL=1`). */
  readonly control: boolean;
  readonly tasksPending: number;
  /** Counters of what was dropped to keep memory bounded. */
  readonly dropped: {
    /** Events the event stream could not write. */
    readonly events: number;
    /** Live clients dropped for reading too slowly. */
    readonly slowClients: number;
    /** Requests refused: no or wrong token, malformed, too large, too slow. */
    readonly badRequests: number;
  };
  /** Epoch milliseconds when the main thread last said how it is. */
  readonly time: number;
  /** Set while the loop is blocked. */
  readonly blocked?: BlockedNow;
}

export interface CancelAnswer extends Versioned {
  readonly type: "cancel";
  readonly id: number;
  /** `false` when no pending task had this id. */
  readonly cancelled: boolean;
}

export interface ErrorAnswer extends Versioned {
  readonly error: { readonly code: string; readonly message: string };
}

/** What the server pushes on the live channel. */
export type LiveMessage =
  | (Versioned & { readonly type: "hello"; readonly status: InspectorStatus })
  | InspectorStatus
  | (Versioned & { readonly type: "loop-sample"; readonly sample: LoopSample })
  | (Versioned & { readonly type: "event"; readonly event: LoopscopeEvent })
  | TaskQueryAnswer
  | (Versioned & { readonly type: "error"; readonly error: ErrorAnswer["error"] });

/**
 * What a client sends on the live channel: the task query to push (about once a second),
 * replacing its last one. Anything else closes the connection (1008) and is counted.
 */
export interface LiveRequest {
  readonly type: "subscribe";
  readonly tasks?: TaskQuery;
}

/** The URL and token of a running inspector, as written to the rendezvous directory. */
export interface InspectorAddress {
  readonly protocol: typeof PROTOCOL_VERSION;
  readonly pid: number;
  /** The base URL, e.g. `http://127.0.0.1:41234/`, without the token. */
  readonly url: string;
  readonly token: string;
}
