import { writeSync } from "node:fs";
import inspector from "node:inspector";
import type { Worker } from "node:worker_threads";
import { isMainThread } from "node:worker_threads";
import { LoopscopeError } from "../errors/index.js";
import { emit, printsToStderr } from "../events/index.js";
import type { Frame, LoopBlockedEvent, RecorderWindow } from "../protocol/index.js";
import {
  collectGcPausesIfDue,
  driveGcCollection,
  recorderWindow,
  trackGcPauses,
} from "../recorder/index.js";
import { PROTOCOL_VERSION } from "../protocol/index.js";
import { resolveStack } from "../stacks/index.js";
import { renderFrames } from "../render/index.js";
import { currentTaskRef } from "../tasks/index.js";
import { firstApplicationFrame } from "./attribution.js";
import type { Capture } from "./capture.js";
import { CaptureSlot } from "./capture.js";
import type { StallFacts } from "./cause.js";
import { classifyStall, hostPaused } from "./cause.js";
import type { CoalescedReport } from "./coalesce.js";
import { afterStallEvidence, gcMsBetween } from "./stall-evidence.js";
import { BlockCoalescer } from "./coalesce.js";
import type { Stall } from "./heartbeat.js";
import { Heartbeat } from "./heartbeat.js";
import type { NativeCallRecord } from "./native-calls.js";
import { NativeCallWatch, nativeCallFrames } from "./native-calls.js";
import type { HostPause } from "./pauses.js";
import { PauseLog } from "./pauses.js";
import { recordBlocked } from "./stats.js";
import { startWatchdogThread } from "./thread.js";
import {
  ARMED,
  Beat,
  CAPTURE_SOURCE_URL,
  CONNECTED,
  Control,
  DOORBELL_LOOK_MS,
  IDLE,
  STOP_REQUESTED,
  createControlArray,
  isWatchdogThreadMessage,
} from "./thread-protocol.js";

/** Options of {@link startWatchdog}. */
export interface WatchdogOptions {
  /**
   * A loop that has not turned for this many milliseconds is blocked (`LOOPSCOPE_SLOW_MS`,
   * like asyncio's `slow_callback_duration`). Positive integer.
   */
  readonly slowMs: number;
  /**
   * Repeats at the same place within this window become one report with a `count`.
   * Default 10,000 ms.
   */
  readonly coalesceWindowMs?: number;
  /** Places remembered for coalescing. Default 100. */
  readonly maxSites?: number;
  /**
   * Called with every `loop-blocked` event, in addition to the event stream (`emit`).
   * @example `startWatchdog({ slowMs: 100, onReport: (e) => console.log(e.durationMs) })`
   */
  readonly onReport?: (event: LoopBlockedEvent) => void;
}

/** A running watchdog. */
export interface Watchdog {
  /** `true` when stacks are captured; `false` in duration-only mode (inspector in use). */
  readonly capturesStacks: boolean;
  /**
   * Stop: pending coalesced counts are reported, the worker ends, the session is
   * disconnected. Idempotent; a second call returns the first call's promise.
   */
  stop(): Promise<void>;
}

/** The watchdog cannot start. Codes: `LOOPSCOPE_ERR_WATCHDOG_RUNNING`, `LOOPSCOPE_ERR_WATCHDOG_THREAD`. */
export class WatchdogError extends LoopscopeError {}

/** Frames in the early notice printed while the loop is still blocked; the report has them all. */
const EARLY_NOTICE_FRAMES = 4;
const DEFAULT_WINDOW_MS = 10_000;
const DEFAULT_MAX_SITES = 100;
/** Stalls remembered to tell whether a pause was inside one (as many as the pause ring keeps). */
const STALL_WINDOWS_KEPT = 16;
/** How long a stall the main thread did not compute through waits for a late pause record. */
const PAUSE_RECORD_WAIT_MS = 100;
/** How long stop() waits for the worker before terminating it. */
const STOP_GRACE_MS = 1_000;
/** How long the exit handler blocks, at most, for the worker to disconnect its session. */
const EXIT_DISCONNECT_MS = 200;

let running: WatchdogImpl | undefined;

/** A stack the watchdog captured while the loop is still blocked. */
export interface BlockedCapture {
  readonly seq: bigint;
  readonly stack: readonly Frame[];
  readonly task: { readonly id: number; readonly name: string } | undefined;
}

let blockedListener: ((capture: BlockedCapture) => void) | undefined;

/**
 * Be told of each stack the watchdog captures during a block, while the loop is still
 * blocked: called inside the capture's interrupt, so it must be quick and must not throw
 * (the inspector posts it to its own thread). One listener; `undefined` removes it.
 */
export function onBlockedCapture(listener: ((capture: BlockedCapture) => void) | undefined): void {
  blockedListener = listener;
}

/** The heartbeat as another thread reads it: the shared array, where in it to read, and the timings. */
export interface WatchdogHeartbeat {
  readonly beat: BigInt64Array;
  /**
   * Index of the beat sequence, of the last beat's `process.hrtime.bigint()`, of the mode
   * and of the doorbell (`Beat` of thread-protocol.ts).
   */
  readonly layout: {
    readonly seq: number;
    readonly time: number;
    readonly mode: number;
    readonly doorbell: number;
  };
  readonly slowMs: number;
  readonly beatMs: number;
  /**
   * In idle mode (`beat[layout.mode] === idle.mode`) with the doorbell armed
   * (`beat[layout.doorbell] === idle.armed`), the watchdog thread moves the time forward
   * only every `idle.lookMs`: a callback would have rung it.
   */
  readonly idle: { readonly mode: bigint; readonly armed: bigint; readonly lookMs: number };
}

/**
 * The running watchdog's heartbeat (layout: `Beat` of thread-protocol.ts) and threshold,
 * for another thread to tell, without the main thread, whether the loop is blocked.
 */
export function watchdogHeartbeat(): WatchdogHeartbeat | undefined {
  if (running === undefined) return undefined;
  return running.heartbeat;
}

/**
 * Start the watchdog: a worker thread that notices when the main loop has not turned for
 * `slowMs` and captures the main thread's stack while the block is still going on (through
 * `inspector.Session.connectToMainThread()`). When the loop turns again, one `loop-blocked`
 * event is emitted with the duration, the stack down to the line, and the task that was
 * running. Never keeps the process alive. One watchdog per process.
 *
 * If the process's inspector is open (`--inspect`, a debugger may attach), or connecting
 * fails, reports carry durations only and a one-time warning says why.
 *
 * @throws TypeError naming the option and the value when an option is invalid.
 * @throws {@link WatchdogError} `LOOPSCOPE_ERR_WATCHDOG_RUNNING` when one is already running,
 *   `LOOPSCOPE_ERR_WATCHDOG_THREAD` when called off the main thread.
 * @example
 * ```ts
 * const watchdog = startWatchdog({ slowMs: 100 });
 * // ... later
 * await watchdog.stop();
 * ```
 */
export function startWatchdog(options: WatchdogOptions): Watchdog {
  const checked = checkOptions(options);
  if (!isMainThread) {
    throw new WatchdogError(
      "LOOPSCOPE_ERR_WATCHDOG_THREAD",
      "startWatchdog: the watchdog watches the main thread's loop; call it on the main thread",
    );
  }
  if (running !== undefined) {
    throw new WatchdogError(
      "LOOPSCOPE_ERR_WATCHDOG_RUNNING",
      "startWatchdog: a watchdog is already running in this process; stop it first",
    );
  }
  running = new WatchdogImpl(checked);
  return running;
}

interface CheckedOptions {
  slowMs: number;
  coalesceWindowMs: number;
  maxSites: number;
  onReport: ((event: LoopBlockedEvent) => void) | undefined;
}

function checkOptions(options: WatchdogOptions): CheckedOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`startWatchdog: options must be an object, got ${String(options)}`);
  }
  const {
    slowMs,
    coalesceWindowMs = DEFAULT_WINDOW_MS,
    maxSites = DEFAULT_MAX_SITES,
    onReport,
  } = options;
  if (!Number.isSafeInteger(slowMs) || slowMs <= 0) {
    throw new TypeError(
      `startWatchdog: options.slowMs must be a positive integer, got ${String(slowMs)}`,
    );
  }
  if (!Number.isFinite(coalesceWindowMs) || coalesceWindowMs < 0) {
    throw new TypeError(
      `startWatchdog: options.coalesceWindowMs must be a non-negative number, got ${String(coalesceWindowMs)}`,
    );
  }
  if (!Number.isSafeInteger(maxSites) || maxSites <= 0) {
    throw new TypeError(
      `startWatchdog: options.maxSites must be a positive integer, got ${String(maxSites)}`,
    );
  }
  if (onReport !== undefined && typeof onReport !== "function") {
    throw new TypeError(
      `startWatchdog: options.onReport must be a function, got ${typeof onReport}`,
    );
  }
  return { slowMs, coalesceWindowMs, maxSites, onReport };
}

/**
 * Epoch milliseconds of a `process.hrtime.bigint()` reading, on the performance clock
 * (as `performance.timeOrigin + performance.now()`), so that a reader can compare it with
 * `performance.now()` times without the wall clock's adjustments in between.
 */
function epochOfHrtime(at: bigint): number {
  const agoMs = Number(process.hrtime.bigint() - at) / 1e6;
  return Math.round((performance.timeOrigin + performance.now() - agoMs) * 10) / 10;
}

/**
 * The beat interval: a quarter of the threshold, 5–50 ms. Each beat wakes an idle process;
 * the stall's duration does not depend on the interval (see `Heartbeat`), and the watchdog
 * thread captures once the last beat is a threshold old, when the loop has been held for at
 * least three quarters of it.
 */
function beatIntervalMs(slowMs: number): number {
  return Math.min(50, Math.max(5, Math.round(slowMs / 4)));
}

class WatchdogImpl implements Watchdog {
  readonly #options: CheckedOptions;
  readonly #heartbeat: Heartbeat;
  readonly #slot: CaptureSlot;
  readonly #coalescer: BlockCoalescer;
  #worker: Worker | undefined;
  /** Shared with the watchdog thread (layout: {@link Control}). */
  readonly #control = createControlArray();
  /**
   * `process.exit()` with the worker's inspector session still connected makes Node print
   * "Waiting for the debugger to disconnect...": ask the worker to disconnect, and wait
   * for it, synchronously, as the process exits.
   */
  readonly #onExit = (): void => {
    // Stalls still waiting for their evidence, and repeats still counted in a coalescing
    // window, are reported now or never.
    try {
      this.#classifyPending();
      this.#coalescer.flush();
    } catch {
      // Never throw from an exit listener.
    }
    if (this.#worker === undefined) return;
    this.#requestWorkerStop();
    Atomics.wait(this.#control, Control.DISCONNECT, CONNECTED, EXIT_DISCONNECT_MS);
  };
  /** The stall whose early notice was printed. */
  #noticedSeq = -1n;
  /** Native calls seen returning after a stall was detected (the exact calling line). */
  #nativeCalls: NativeCallWatch | undefined;
  /** The watchdog thread's record of times the whole process was not running. */
  #pauses: PauseLog | undefined;
  /** Stops tracking GC pauses (a stall's evidence). */
  readonly #untrackGc = trackGcPauses();
  /** Hands the reading of traced GC pauses back (the heartbeat reads them while it beats). */
  readonly #undriveGc = driveGcCollection();
  /** The last stalls classified (start and end, hrtime): a pause inside one is not reported apart. */
  readonly #stallWindows: [bigint, bigint][] = [];
  /** Stalls whose evidence is not in yet, classified together (bounded by the stalls of one turn). */
  #unclassified: (() => void)[] = [];
  /** The last capture, to tell whether the next one runs in the same callback. */
  #previousCapture: Capture | undefined;
  /** Why stacks are not captured, once known. */
  #noCaptureReason: string | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: CheckedOptions) {
    this.#options = options;
    this.#coalescer = new BlockCoalescer({
      windowMs: options.coalesceWindowMs,
      maxSites: options.maxSites,
      report: (report) => this.#publish(report),
    });
    this.#heartbeat = new Heartbeat(
      options.slowMs,
      beatIntervalMs(options.slowMs),
      (stall) => this.#onStall(stall),
      collectGcPausesIfDue,
    );
    this.#slot = new CaptureSlot(
      () => this.#heartbeat.seq,
      currentTaskRef,
      (capture) => this.#noticeWhileBlocked(capture),
    );
    process.on("exit", this.#onExit);
    const inspectorUrl = inspector.url();
    if (inspectorUrl !== undefined) {
      this.#fallBack(`the inspector is open (${inspectorUrl}) and a debugger may be attached`);
    } else {
      this.#startWorker();
    }
  }

  get heartbeat(): WatchdogHeartbeat {
    return {
      beat: this.#heartbeat.shared,
      layout: { seq: Beat.SEQ, time: Beat.TIME, mode: Beat.MODE, doorbell: Beat.DOORBELL },
      slowMs: this.#options.slowMs,
      beatMs: beatIntervalMs(this.#options.slowMs),
      idle: { mode: IDLE, armed: ARMED, lookMs: DOORBELL_LOOK_MS },
    };
  }

  get capturesStacks(): boolean {
    return this.#noCaptureReason === undefined;
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#heartbeat.stop();
    this.#slot.uninstall();
    this.#nativeCalls?.uninstall();
    this.#classifyPending();
    this.#coalescer.stop();
    this.#undriveGc();
    this.#untrackGc();
    process.removeListener("exit", this.#onExit);
    const worker = this.#worker;
    this.#worker = undefined;
    if (running === this) running = undefined;
    if (worker === undefined) return;
    await new Promise<void>((resolve) => {
      // Whoever awaits stop() expects it to settle: keep the process up until the worker ends.
      worker.ref();
      const grace = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
      grace.unref();
      worker.once("exit", () => {
        clearTimeout(grace);
        resolve();
      });
      this.#requestWorkerStop();
    });
  }

  #requestWorkerStop(): void {
    Atomics.store(this.#control, Control.STOP, STOP_REQUESTED);
    Atomics.notify(this.#control, Control.STOP);
  }

  #startWorker(): void {
    this.#slot.install();
    try {
      const pauses = new PauseLog();
      this.#worker = startWatchdogThread(
        {
          beat: this.#heartbeat.shared,
          control: this.#control,
          pauses: pauses.shared,
          slowMs: this.#options.slowMs,
          beatMs: beatIntervalMs(this.#options.slowMs),
        },
        (message) => this.#onWorkerMessage(message),
        (error) => this.#fallBack(`the watchdog thread failed (${describe(error)})`),
      );
      // Idle mode while the thread watches (its doorbell wakes the thread); its resume and
      // pause messages.
      this.#heartbeat.watchedBy(this.#worker, pauses, this.#control);
      this.#pauses = pauses;
      pauses.onPause((pause) => this.#onHostPause(pause));
      // The thread counts the stalls it detects: a native call that sees the count move names its line.
      this.#nativeCalls = new NativeCallWatch(this.#control, () => this.#heartbeat.seq, {
        currentTask: currentTaskRef,
      });
      this.#nativeCalls.install();
    } catch (error) {
      this.#fallBack(`the watchdog thread could not start (${describe(error)})`);
    }
  }

  #onWorkerMessage(message: unknown): void {
    if (!isWatchdogThreadMessage(message)) return;
    switch (message.type) {
      case "capture-unavailable":
      case "capture-failed":
        this.#fallBack(`the inspector session failed (${message.reason})`);
        this.#requestWorkerStop();
        break;
    }
  }

  #fallBack(reason: string): void {
    if (this.#noCaptureReason !== undefined) return;
    this.#noCaptureReason = reason;
    this.#slot.uninstall();
    this.#nativeCalls?.uninstall();
    process.emitWarning(
      `loopscope watchdog: ${reason}; loop-blocked reports carry durations only, without stacks`,
      { code: "LOOPSCOPE_WARN_NO_STACKS" },
    );
  }

  /**
   * Runs inside the interrupt, while the loop is still blocked (a capture serviced after
   * the loop turned is discarded before it gets here): the report proper waits for the
   * loop to turn (it needs the total duration), but a person watching stderr should see
   * the blocking line now, within milliseconds of the threshold. Printed for every capture
   * in application code, however late it came (a loaded machine delays captures taken
   * inside JavaScript too; a native call's comes when it returns, just before the report);
   * not for one in Node's own code only, which names what runs next rather than what
   * blocked. Written synchronously (the loop that would flush an asynchronous write is the
   * one that is blocked), only when events go to stderr, and only for a place the
   * coalescer would report at once.
   */
  #noticeWhileBlocked(capture: Capture): void {
    if (blockedListener !== undefined) tellBlocked(blockedListener, capture);
    const previous = this.#previousCapture;
    this.#previousCapture = capture;
    if (!printsToStderr() || capture.seq === this.#noticedSeq) return;
    // Not yet past the threshold: the watchdog thread asks again a beat interval later.
    if (this.#heartbeat.heldSoFarMs() < this.#options.slowMs) return;
    // One capture cannot tell one long callback from many short ones: wait for a second.
    if (previous?.seq !== capture.seq) return;
    this.#noticedSeq = capture.seq;
    const heldMs = Math.round(this.#heartbeat.heldSoFarMs());
    const stack = withoutCaptureFrames(resolveStack(capture.stack));
    if (previous.asyncId !== capture.asyncId) {
      writeSync(
        2,
        `loopscope: event loop stalled by many callbacks in one turn, still going after ${heldMs} ms ` +
          "(the report will say how many and which)\n",
      );
      return;
    }
    if (
      firstApplicationFrame(stack) === undefined ||
      !this.#coalescer.wouldReportNow({ cause: "javascript", stack })
    ) {
      return;
    }
    const task =
      capture.task === undefined ? "" : ` in task ${capture.task.id} "${capture.task.name}"`;
    const frames = renderFrames(stack.slice(0, EARLY_NOTICE_FRAMES), { indent: "    " });
    writeSync(
      2,
      `loopscope: event loop blocked${task}, still blocked after ${heldMs} ms, at:\n${frames}\n`,
    );
  }

  #onStall(stall: Stall): void {
    recordBlocked(stall.durationMs);
    try {
      const captures = this.#slot.take(stall.seq);
      const nativeCall = this.#nativeCalls?.take(stall.seq);
      const endedAt = epochOfHrtime(stall.endedAt);
      // GC entries and the watchdog thread's pause records arrive after the stall: look once
      // they are in. A stall the main thread mostly did not compute through may be a pause
      // whose record the watchdog thread (waiting for a core after SIGCONT) writes late.
      const waited = stall.cpuMs < stall.durationMs / 2;
      this.#classifyLater(
        () => {
          const report = classifyStall(this.#facts(stall, captures, nativeCall));
          this.#coalescer.add({ ...report, endedAt });
        },
        waited ? PAUSE_RECORD_WAIT_MS : 0,
      );
    } catch {
      // The watchdog never throws into the application's timers.
    }
  }

  /**
   * A pause of the whole process the watchdog thread saw: reported on its own unless a
   * stall's report already counted it (the stall around it is classified first, in the same
   * queue), and only past the threshold, like a block.
   */
  #onHostPause(pause: HostPause): void {
    if (pause.counted || pause.durationMs < this.#options.slowMs) return;
    this.#classifyLater(() => {
      if (this.#stallWindows.some(([from, to]) => pause.startedAt < to && pause.endedAt > from)) {
        return;
      }
      const report = hostPaused(Math.round(pause.durationMs * 10) / 10, {});
      this.#coalescer.add({ ...report, endedAt: epochOfHrtime(pause.endedAt) });
    });
  }

  /**
   * Classify once the stall's evidence is in (`afterStallEvidence`), or at once when the
   * process exits first: a stall is reported late rather than not at all.
   */
  #classifyLater(classify: () => void, waitMs = 0): void {
    this.#unclassified.push(classify);
    if (waitMs > 0) {
      setTimeout(() => this.#classifyPending(), waitMs).unref();
      return;
    }
    if (this.#unclassified.length > 1) return;
    afterStallEvidence(() => this.#classifyPending());
  }

  #classifyPending(): void {
    const pending = this.#unclassified;
    this.#unclassified = [];
    for (const classify of pending) {
      try {
        classify();
      } catch {
        // The watchdog never throws into the application's callbacks.
      }
    }
  }

  #facts(
    stall: Stall,
    captures: readonly Capture[],
    native: NativeCallRecord | undefined,
  ): StallFacts {
    const startedAt = stall.endedAt - BigInt(Math.round(stall.durationMs * 1e6));
    const resolved = captures.map((capture) => ({
      stack: withoutCaptureFrames(resolveStack(capture.stack)),
      task: capture.task,
      latencyMs: capture.latencyMs,
      wentOnMs: Math.max(0, Number(stall.endedAt - capture.capturedAt) / 1e6),
      asyncId: capture.asyncId,
    }));
    const gcMs = gcMsBetween(startedAt, stall.endedAt);
    // A pause inside this stall is its evidence, not a report of its own.
    this.#stallWindows.push([startedAt, stall.endedAt]);
    if (this.#stallWindows.length > STALL_WINDOWS_KEPT) this.#stallWindows.shift();
    return {
      heldMs: stall.durationMs,
      captures: resolved,
      ...(native === undefined
        ? {}
        : {
            nativeCall: {
              call: native.call,
              stack: nativeCallFrames(native),
              task: native.task,
              returnedBeforeEndMs: Math.max(0, Number(stall.endedAt - native.returnedAt) / 1e6),
            },
          }),
      ...(gcMs === undefined ? {} : { gcMs }),
      cpuMs: stall.cpuMs,
      pausedMs: this.#pauses?.pausedMsBetween(startedAt, stall.endedAt) ?? 0,
      ...(this.#noCaptureReason === undefined ? {} : { noCaptureReason: this.#noCaptureReason }),
    };
  }

  #publish(report: CoalescedReport): void {
    const event: LoopBlockedEvent = {
      type: "loop-blocked",
      protocol: PROTOCOL_VERSION,
      time: Date.now(),
      pid: process.pid,
      durationMs: report.durationMs,
      cause: report.cause,
      evidence: report.evidence,
      stack: report.stack,
      count: report.count,
      ...(report.note === undefined ? {} : { note: report.note }),
      ...(report.task === undefined ? {} : { task: report.task }),
      ...(report.endedAt === undefined ? {} : { endedAt: report.endedAt }),
      ...recorderWindowOf(report),
    };
    emit(event);
    if (this.#options.onReport !== undefined) {
      try {
        this.#options.onReport(event);
      } catch {
        // A failing subscriber must not reach the application.
      }
    }
  }
}

/** The flight recorder's window up to the block's end, when the recorder runs. */
function recorderWindowOf(report: CoalescedReport): { recorder?: RecorderWindow } {
  try {
    const window = recorderWindow(Math.ceil(report.endedAt ?? Date.now()));
    return window === undefined ? {} : { recorder: window };
  } catch {
    return {};
  }
}

function tellBlocked(listener: (capture: BlockedCapture) => void, capture: Capture): void {
  try {
    const task =
      capture.task === undefined ? undefined : { id: capture.task.id, name: capture.task.name };
    listener({ seq: capture.seq, stack: withoutCaptureFrames(resolveStack(capture.stack)), task });
  } catch {
    // Never throw into the interrupted code.
  }
}

/**
 * The capture function is called by the evaluated expression and by nothing else, so the
 * innermost frame left is always that expression (V8 names it after its sourceURL or, in
 * structured call sites, not at all): drop it, and keep everything the application ran.
 */
function withoutCaptureFrames(frames: readonly Frame[]): readonly Frame[] {
  const first = frames[0];
  const isWrapper =
    first !== undefined &&
    (first.file === CAPTURE_SOURCE_URL || (first.file === "<anonymous>" && first.line === 0));
  return isWrapper ? frames.slice(1) : frames;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
