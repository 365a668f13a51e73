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
  /**
   * `process.hrtime.bigint()` of the last beat: the last time the loop was known to turn.
   * Written before `SEQ`. In idle mode (see `MODE`) the watchdog thread moves it forward
   * each time it sees the main thread waiting in its loop (a compare-and-swap, so a beat
   * the main thread writes meanwhile wins), and back to the start of what it sees the
   * main thread begin doing, as far as it can tell (never later than that start): a reader
   * (the watchdog thread, the inspector's server) reads "the loop has not been held since
   * TIME" in both modes alike. The beat that ends idle mode measures the loop as any beat
   * does, from libuv's idle time, but never as held for longer than since TIME: libuv
   * forgets the idle time of a wait that a signal interrupted (SIGCONT, SIGCHLD, any signal
   * the main thread takes), which after minutes of idle mode would read as minutes held.
   */
  TIME: 1,
  /**
   * {@link BEATING}, or {@link IDLE} while the heartbeat has stopped its interval because
   * the loop was idle (written by the main thread after `SEQ`). In idle mode the watchdog
   * thread watches the main thread's state in `/proc` instead of the beats, and asks the
   * main thread to beat again (a `resume` message) when it sees it do anything.
   */
  MODE: 2,
  /**
   * Set to 1 by the watchdog thread when it can watch an idle loop (Linux, the main thread's
   * `/proc` state readable, its loop's wait recognised); the heartbeat enters idle mode only
   * then. Cleared when the thread stops.
   */
  IDLE_WATCH: 3,
  /**
   * The main thread's doorbell in idle mode (`doorbell.ts`): {@link NO_DOORBELL} while it is
   * not armed, {@link ARMED} while the first callback the loop runs will ring it, {@link RUNG}
   * once one did (it then woke the watchdog thread: `Atomics.notify` on `Control.STOP`).
   * Written by the main thread only. While it is armed the watchdog thread looks at the idle
   * main thread rarely (a callback rings it at once); otherwise every `idlePollMs`.
   */
  DOORBELL: 4,
  /**
   * `process.hrtime.bigint()` of the doorbell's last ring, written by the main thread just
   * before `DOORBELL` becomes {@link RUNG}: the first callback after the wait began then, so
   * whatever the watchdog thread finds the main thread doing began no earlier. Without it
   * the thread could only say "since my last look", up to `DOORBELL_LOOK_MS` earlier, and
   * would find a block that had only just begun already past the threshold.
   */
  RUNG_AT: 5,
  LENGTH: 6,
} as const;

/** `Beat.MODE` while the heartbeat beats. */
export const BEATING = 0n;
/** `Beat.MODE` while the heartbeat is in idle mode: no interval; the watchdog thread watches `/proc`. */
export const IDLE = 1n;

/** `Beat.DOORBELL` while the doorbell is not armed (or cannot be: no async hooks). */
export const NO_DOORBELL = 0n;
/** `Beat.DOORBELL` while the first callback the loop runs will ring it. */
export const ARMED = 1n;
/** `Beat.DOORBELL` once a callback rang it (it is disarmed then, until armed again). */
export const RUNG = 2n;

/**
 * How often the watchdog thread wakes while the idle main thread's doorbell is armed, to
 * see whether the whole process was paused (a wake this late): often enough that a 600 ms
 * SIGSTOP is told as 320 ms at least, and any pause longer than this and the pause threshold
 * is seen.
 */
export const DOORBELL_WAKE_MS = 280;

/**
 * One wake in this many (and any late one) while the doorbell is armed is a look at the
 * main thread's `/proc` state. The read is most of a wake's cost after the wake itself;
 * what it is for, JavaScript run without a callback (a V8 task, such as a
 * `FinalizationRegistry` callback), rings nothing and is rare.
 */
export const DOORBELL_WAKES_PER_LOOK = 2;

/**
 * How often the watchdog thread looks at an idle main thread while the doorbell is armed
 * (and moves `Beat.TIME` forward): what runs without ringing it is found at most this much
 * later than at the threshold.
 */
export const DOORBELL_LOOK_MS = DOORBELL_WAKE_MS * DOORBELL_WAKES_PER_LOOK;

/** Pauses the ring keeps. */
export const PAUSE_SLOTS = 16;

/**
 * Times the whole process was not running, as the watchdog thread saw them (its own wakes
 * came late by as much): a `BigInt64Array` ring the watchdog thread writes and the main
 * thread reads (`pauses.ts`). Entry `n` (from 0) is at `RING + 2 * (n % PAUSE_SLOTS)`: its
 * start and end, `process.hrtime.bigint()`; `COUNT` is written after the entry.
 */
export const Pauses = {
  /** Pauses recorded since the thread started (the ring keeps the last {@link PAUSE_SLOTS}). */
  COUNT: 0,
  RING: 1,
  LENGTH: 1 + 2 * PAUSE_SLOTS,
} as const;

/**
 * Captures the watchdog thread asks for per stall at most: the first at the threshold,
 * then one a beat interval apart while the stall goes on.
 */
export const CAPTURES_PER_STALL = 16;

/** The control block: an `Int32Array` through which the threads stop each other, without messages. */
export const Control = {
  /**
   * Set to {@link STOP_REQUESTED} (and notified) by the main thread to end the watchdog
   * thread. Also the address the watchdog thread sleeps on, so that the doorbell
   * (`Beat.DOORBELL`) wakes it by notifying it without changing it.
   */
  STOP: 0,
  /** Set to {@link DISCONNECTED} (and notified) by the watchdog thread once its session is closed. */
  DISCONNECT: 1,
  /**
   * Stalls the watchdog thread detected: it adds one (`Atomics.add`) when it first finds
   * a stall, before it asks for a capture. A native call that sees this change while it
   * ran was running when a stall was detected (`native-calls.ts`): the main thread reads
   * it without the watchdog thread's help, since a native call services no interrupt.
   */
  DETECTED: 2,
  LENGTH: 3,
} as const;

/** `Control.STOP` while the watchdog thread should watch. */
export const WATCHING = 0;
/** `Control.STOP` once the main thread asked the watchdog thread to end. */
export const STOP_REQUESTED = 1;
/** `Control.DISCONNECT` while the inspector session may still be connected. */
export const CONNECTED = 0;
/** `Control.DISCONNECT` once the watchdog thread closed its session (the exit handler waits for it). */
export const DISCONNECTED = 1;

/** A zeroed heartbeat in shared memory: sequence 0, beating, no idle watch. */
export function createBeatArray(): BigInt64Array {
  return new BigInt64Array(new SharedArrayBuffer(Beat.LENGTH * BigInt64Array.BYTES_PER_ELEMENT));
}

/** A zeroed control block in shared memory: watching, connected. */
export function createControlArray(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Control.LENGTH * Int32Array.BYTES_PER_ELEMENT));
}

/** An empty pause ring in shared memory ({@link Pauses}). */
export function createPauseArray(): BigInt64Array {
  return new BigInt64Array(new SharedArrayBuffer(Pauses.LENGTH * BigInt64Array.BYTES_PER_ELEMENT));
}

/** The watchdog thread's `workerData`. */
export interface WatchdogThreadData {
  /** The heartbeat ({@link Beat}); shared memory, so the thread sees the main thread's writes. */
  readonly beat: BigInt64Array;
  /** The control block ({@link Control}), shared the same way. */
  readonly control: Int32Array;
  /** The pause ring ({@link Pauses}) the thread records host pauses into. */
  readonly pauses: BigInt64Array;
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
 * What the watchdog thread tells the main thread:
 * - `capture-unavailable`: the session could not connect to the main thread;
 * - `capture-failed`: a `Runtime.evaluate` failed or threw;
 * - `resume`: in idle mode, the main thread was seen doing something (waking, running, or
 *   waiting somewhere else than in its loop): beat again. `seq` is the idle sequence it
 *   was seen at (a message for an older one is stale);
 * - `paused`: the watchdog thread's own wake came late by a pause (the whole process was
 *   not running); `count` is the pause ring's count once it was recorded.
 */
export type WatchdogThreadMessage =
  | { readonly type: "capture-unavailable"; readonly reason: string }
  | { readonly type: "capture-failed"; readonly reason: string }
  | { readonly type: "resume"; readonly seq: bigint }
  | { readonly type: "paused"; readonly count: number };

/** Whether a message received from the watchdog thread is one of {@link WatchdogThreadMessage}. */
export function isWatchdogThreadMessage(message: unknown): message is WatchdogThreadMessage {
  if (typeof message !== "object" || message === null) return false;
  const { type, reason, seq, count } = message as Record<string, unknown>;
  switch (type) {
    case "capture-unavailable":
    case "capture-failed":
      return typeof reason === "string";
    case "resume":
      return typeof seq === "bigint";
    case "paused":
      return typeof count === "number";
    default:
      return false;
  }
}
