/**
 * What the main thread and the inspector's server thread say to each other. The server
 * thread owns the network; the main thread owns the tasks and answers queries about
 * them when its loop turns. Imported by both sides; types and plain functions only.
 */
import type {
  BlockedNow,
  Frame,
  InspectorStatus,
  LoopSample,
  LoopscopeEvent,
  TaskQuery,
} from "../protocol/index.js";
import type { WatchdogHeartbeat } from "../watchdog/index.js";

/** The server thread's `workerData`. */
export interface InspectorThreadData {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly token: string;
  /** Control actions (cancel) allowed. */
  readonly control: boolean;
  /** The folder of the dashboard's built files (`dist/inspector/ui`). */
  readonly assetsDir: string;
  /** The watchdog's heartbeat, when it runs: tells the server the loop is blocked without asking it. */
  readonly heartbeat?: WatchdogHeartbeat;
  /** How long the server waits for the main thread's answer before serving the last one, stale. */
  readonly answerTimeoutMs: number;
}

/** The facts of the process the main thread sends about once a second. */
export type ProcessFacts = Omit<
  InspectorStatus,
  "protocol" | "type" | "control" | "dropped" | "blocked"
> & {
  readonly eventsDropped: number;
};

/** What the server asks the main thread. */
export type Question =
  | { readonly kind: "tasks"; readonly query: TaskQuery }
  | { readonly kind: "task"; readonly id: number }
  | { readonly kind: "finished"; readonly limit: number }
  | { readonly kind: "recorder"; readonly limit: number }
  | { readonly kind: "cancel"; readonly id: number };

/** Server thread → main thread. */
export type ToMain =
  | { readonly type: "listening"; readonly host: string; readonly port: number }
  | { readonly type: "failed"; readonly message: string; readonly code?: string }
  | { readonly type: "ask"; readonly id: number; readonly question: Question };

/** Main thread → server thread. */
export type ToServer =
  | { readonly type: "facts"; readonly facts: ProcessFacts }
  | { readonly type: "loop-sample"; readonly sample: LoopSample }
  | { readonly type: "event"; readonly event: LoopscopeEvent }
  /** `body`: the answer's JSON without `protocol` and freshness (the server adds them); `status` 200, 404... */
  | { readonly type: "answer"; readonly id: number; readonly status: number; readonly body: string }
  | {
      readonly type: "blocked-capture";
      readonly seq: bigint;
      readonly stack: readonly Frame[];
      readonly task: BlockedNow["task"];
    }
  | { readonly type: "stop" };

/** Whether a message from the server thread is one of {@link ToMain}. */
export function isToMain(message: unknown): message is ToMain {
  if (typeof message !== "object" || message === null) return false;
  const type = (message as { type?: unknown }).type;
  return type === "listening" || type === "failed" || type === "ask";
}
