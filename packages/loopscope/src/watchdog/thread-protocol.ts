/**
 * Everything the main thread and the watchdog thread agree on, in one place: the layout of
 * the shared memory, the data the thread starts with, the expression it evaluates on the
 * main thread, and the messages it sends back.
 *
 * Imported by both sides, so it imports nothing: the watchdog thread must load nothing of
 * loopscope but this file and its own (see `thread.ts`).
 */

/**
 * The heartbeat: a `BigInt64Array` the main thread writes at every beat and the watchdog
 * thread reads. Times are `process.hrtime.bigint()`, one monotonic clock for all threads.
 */
export const Beat = {
  /** The beat sequence: a stall is identified by the sequence it froze at. */
  SEQ: 0,
  /** `process.hrtime.bigint()` of the last beat. Written before `SEQ`. */
  TIME: 1,
  LENGTH: 2,
} as const;

/** The control block: an `Int32Array` through which the threads stop each other, without messages. */
export const Control = {
  /** Set to {@link STOP_REQUESTED} (and notified) by the main thread to end the watchdog thread. */
  STOP: 0,
  /** Set to {@link DISCONNECTED} (and notified) by the watchdog thread once its session is closed. */
  DISCONNECT: 1,
  LENGTH: 2,
} as const;

/** `Control.STOP` while the watchdog thread should watch. */
export const WATCHING = 0;
/** `Control.STOP` once the main thread asked the watchdog thread to end. */
export const STOP_REQUESTED = 1;
/** `Control.DISCONNECT` while the inspector session may still be connected. */
export const CONNECTED = 0;
/** `Control.DISCONNECT` once the watchdog thread closed its session (the exit handler waits for it). */
export const DISCONNECTED = 1;

/** A zeroed heartbeat in shared memory. */
export function createBeatArray(): BigInt64Array {
  return new BigInt64Array(new SharedArrayBuffer(Beat.LENGTH * BigInt64Array.BYTES_PER_ELEMENT));
}

/** A zeroed control block in shared memory: watching, connected. */
export function createControlArray(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Control.LENGTH * Int32Array.BYTES_PER_ELEMENT));
}

/** The watchdog thread's `workerData`. */
export interface WatchdogThreadData {
  /** The heartbeat ({@link Beat}); shared memory, so the thread sees the main thread's writes. */
  readonly beat: BigInt64Array;
  /** The control block ({@link Control}), shared the same way. */
  readonly control: Int32Array;
  /** The threshold: a beat this old means the loop is blocked. */
  readonly slowMs: number;
  /** The main thread's beat interval. */
  readonly beatMs: number;
}

/** The global the watchdog thread's `Runtime.evaluate` calls into (a registered symbol). */
export const CAPTURE_SYMBOL_KEY = "loopscope.watchdog.capture";
/** The `sourceURL` of the evaluated expression: its frame is recognised and removed. */
export const CAPTURE_SOURCE_URL = "loopscope-watchdog-capture";

/**
 * The expression the watchdog thread evaluates on the main thread, as an interrupt: it calls
 * the capture function (`CaptureSlot`) with the stall's sequence and the time the watchdog
 * thread detected it, if the function is installed.
 */
export function captureExpression(seq: bigint, detectedAt: bigint): string {
  return (
    `globalThis[Symbol.for(${JSON.stringify(CAPTURE_SYMBOL_KEY)})]?.(${seq}n, ${detectedAt}n)` +
    `\n//# sourceURL=${CAPTURE_SOURCE_URL}`
  );
}

/**
 * What the watchdog thread tells the main thread; it only ever reports that stacks cannot
 * be captured:
 * - `capture-unavailable`: the session could not connect to the main thread;
 * - `capture-failed`: a `Runtime.evaluate` failed or threw.
 */
export type WatchdogThreadMessage =
  | { readonly type: "capture-unavailable"; readonly reason: string }
  | { readonly type: "capture-failed"; readonly reason: string };

const MESSAGE_TYPES: ReadonlySet<string> = new Set<WatchdogThreadMessage["type"]>([
  "capture-unavailable",
  "capture-failed",
]);

/** Whether a message received from the watchdog thread is one of {@link WatchdogThreadMessage}. */
export function isWatchdogThreadMessage(message: unknown): message is WatchdogThreadMessage {
  if (typeof message !== "object" || message === null) return false;
  const { type, reason } = message as { type?: unknown; reason?: unknown };
  return typeof type === "string" && MESSAGE_TYPES.has(type) && typeof reason === "string";
}
