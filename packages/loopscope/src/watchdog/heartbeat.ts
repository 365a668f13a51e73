import type { RecordableHistogram } from "node:perf_hooks";
import type { Worker } from "node:worker_threads";
import { Doorbell } from "./doorbell.js";
import { loopIdleMs } from "./loop-idle.js";
import type { PauseLog } from "./pauses.js";
import {
  BEATING,
  Beat,
  IDLE,
  createBeatArray,
  isWatchdogThreadMessage,
} from "./thread-protocol.js";

/** A stall the heartbeat saw end: the loop did not run its timers for `durationMs`. */
export interface Stall {
  /** The beat sequence while the loop was stalled (what the watchdog's capture carries). */
  readonly seq: bigint;
  readonly durationMs: number;
  /** `process.hrtime.bigint()` of the beat that saw the loop turn again: when the stall ended. */
  readonly endedAt: bigint;
  /** The main thread's CPU milliseconds since the beat before (see {@link mainThreadCpuMs}). */
  readonly cpuMs: number;
}

/**
 * CPU milliseconds of the main thread (`process.threadCpuUsage()`, where Node has it) or,
 * elsewhere, of the whole process (its other threads mostly sleep): read at each beat, so a
 * stall's CPU time set against its wall time tells code that ran from a thread that waited.
 */
export const mainThreadCpuMs: () => number = (() => {
  const threadUsage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
  const read =
    typeof threadUsage === "function"
      ? threadUsage.bind(process)
      : (): NodeJS.CpuUsage => process.cpuUsage();
  return () => {
    const { user, system } = read();
    return (user + system) / 1000;
  };
})();

/** Beats in a row the loop must be idle through before the heartbeat enters idle mode. */
const IDLE_AFTER_BEATS = 4;
/** A beat's gap counts as idle when the loop was busy for at most this share of it. */
const IDLE_BUSY_SHARE = 0.05;

/**
 * Judges the resume beats of idle mode (each ends a wait the main thread was seen to leave)
 * as one stretch of time: a loop busy for at most 5 % of the window stays in idle mode. A
 * beat alone would judge a callback by the gap since the beat before, which can be a few
 * milliseconds when callbacks come close together: each would end idle mode, the interval
 * would start, and four idle beats later idle mode would begin again, on and on. The
 * window is at least as long as the beats that lead into idle mode, so a loop that keeps
 * running callbacks still leaves it as soon as they add up.
 */
export class ResumeWindow {
  readonly #minWindowNs: bigint;
  /** Where the window began (the beat before its first resume), or `undefined`: none open. */
  #start: bigint | undefined;
  #busyMs = 0;

  constructor(minWindowMs: number) {
    this.#minWindowNs = BigInt(Math.round(minWindowMs * 1e6));
  }

  /**
   * A resume beat at `now`, the beat before it at `previous`, the loop busy for `busyMs`
   * between them: whether the loop was idle over the window (at most 5 % busy).
   */
  judge(previous: bigint, now: bigint, busyMs: number): boolean {
    if (this.#start === undefined || now - this.#start > this.#minWindowNs) {
      this.#start = previous;
      this.#busyMs = 0;
    }
    this.#busyMs += Math.max(0, busyMs);
    const spanNs = now - this.#start;
    const windowMs = Number(spanNs > this.#minWindowNs ? spanNs : this.#minWindowNs) / 1e6;
    return this.#busyMs <= windowMs * IDLE_BUSY_SHARE;
  }

  /** Forget the window: idle mode begins afresh. */
  reset(): void {
    this.#start = undefined;
    this.#busyMs = 0;
  }
}

/** Where every running heartbeat records the loop's delay (see {@link recordLoopDelay}). */
const delayHistograms = new Set<RecordableHistogram>();

/**
 * Record the loop's delay, as the heartbeat measures it, into `histogram` (a
 * `perf_hooks.createHistogram()`, in nanoseconds) until the returned function is called:
 * for each beat of its interval, how late it came (the time since the previous beat less
 * the interval); for a beat that ends idle mode, how long the loop was held before it (what
 * a timer due when the loop stopped turning would have waited). Nothing while the
 * heartbeat is in idle mode: an idle loop delays nothing. This replaces a
 * `monitorEventLoopDelay` histogram and its own 25 ms timer.
 */
export function recordLoopDelay(histogram: RecordableHistogram): () => void {
  delayHistograms.add(histogram);
  return () => {
    delayHistograms.delete(histogram);
  };
}

function recordDelay(delayNs: number): void {
  if (delayHistograms.size === 0) return;
  // A histogram records integers from 1.
  const value = Math.max(1, Math.round(delayNs));
  for (const histogram of delayHistograms) histogram.record(value);
}

/**
 * The main thread's side of the watchdog: an unref'd interval that writes a beat (a
 * sequence and a time) into shared memory. The watchdog thread reads it without the main
 * thread's help; the main thread itself notices a stall when the next beat comes late.
 *
 * A beat every `intervalMs` is all it costs a busy loop, and each one is a wakeup of an
 * idle process: the interval is a quarter of the threshold, not finer. The stall is not
 * the gap between two beats (that would be off by up to an interval) but the gap less the
 * time the loop spent idle in it, waiting for I/O or the next timer (libuv's idle time, as
 * `performance.eventLoopUtilization()` reads it): the time the loop was held.
 *
 * **Idle mode.** Once a watchdog thread that can watch an idle loop is attached
 * ({@link watchedBy}; it sets `Beat.IDLE_WATCH`, on Linux), a loop idle for
 * {@link IDLE_AFTER_BEATS} beats in a row (busy for at most 5 % of each) stops the
 * interval and says so (`Beat.MODE`): the main thread then has no timer at all, and the
 * watchdog thread watches its state in `/proc` instead (`worker.ts`), at once when the
 * first callback the loop runs rings its doorbell (`doorbell.ts`). When it sees the
 * main thread do anything it sends `resume`, and the heartbeat beats at once (and beats
 * on, unless the loop did next to nothing: then one beat, and idle mode again): that
 * beat measures what held the loop since the last one, as any beat does (the gap less
 * libuv's idle time: the idle time in idle mode counts out), so a stall that began in idle
 * mode is measured as well as one that began between beats; but never as longer than
 * since `Beat.TIME`, where the watchdog thread last saw the loop not held (libuv forgets
 * the idle time of a wait that a signal interrupted, minutes of it after minutes idle).
 * The sequence does not move in idle mode: a stall that begins there is identified by the
 * sequence idle mode began at. Elsewhere than Linux (no `/proc` to watch) the heartbeat
 * beats as before, idle or not.
 */
export class Heartbeat {
  /** What the watchdog thread reads (layout: {@link Beat}). */
  readonly shared = createBeatArray();
  readonly #slowNs: bigint;
  readonly #onStall: (stall: Stall) => void;
  readonly #onTick: (() => void) | undefined;
  readonly #slowMs: number;
  readonly #intervalMs: number;
  #seq = 0n;
  #last: bigint;
  /** The loop's idle milliseconds so far, at the last beat. */
  #idleAtLast: number;
  /** The main thread's CPU milliseconds at the last beat. */
  #cpuAtLast = mainThreadCpuMs();
  #timer: NodeJS.Timeout | undefined;
  /** The interval's last beat (its next one is due an interval later), for the delay. */
  #lastTick = 0n;
  /** Beats in a row the loop was idle through. */
  #idleBeats = 0;
  #idle = false;
  /** A watchdog thread is attached and running. */
  #watched = false;
  #stopped = false;
  #pauses: PauseLog | undefined;
  /** Rings the watchdog thread when the loop runs a callback in idle mode. */
  #doorbell: Doorbell | undefined;
  /** Judges whether idle mode goes on over the resume beats of the last few intervals. */
  readonly #resumeWindow: ResumeWindow;

  /**
   * @param onTick - called after each beat of the interval (not in idle mode): for work that
   *   should run while the loop works and never wake an idle one.
   */
  constructor(
    slowMs: number,
    intervalMs: number,
    onStall: (stall: Stall) => void,
    onTick?: () => void,
  ) {
    this.#slowNs = BigInt(slowMs) * 1_000_000n;
    this.#slowMs = slowMs;
    this.#intervalMs = intervalMs;
    this.#onStall = onStall;
    this.#onTick = onTick;
    this.#resumeWindow = new ResumeWindow(intervalMs * IDLE_AFTER_BEATS);
    this.#last = process.hrtime.bigint();
    this.#idleAtLast = loopIdleMs();
    this.#publish();
    this.#startInterval();
  }

  /** The current beat sequence: a stall is identified by the sequence it froze at. */
  get seq(): bigint {
    return this.#seq;
  }

  /** Whether the heartbeat is in idle mode (no interval; the watchdog thread watches `/proc`). */
  get idle(): boolean {
    return this.#idle;
  }

  /**
   * During a stall, how long the loop has been held so far: since the last beat, less its
   * idle time (in idle mode, at most since the watchdog thread last saw it not held: `Beat.TIME`).
   */
  heldSoFarMs(): number {
    const now = process.hrtime.bigint();
    const sinceBeatMs = Number(now - this.#last) / 1e6;
    const heldMs = Math.max(0, sinceBeatMs - (loopIdleMs() - this.#idleAtLast));
    if (!this.#idle) return heldMs;
    return Math.min(heldMs, Math.max(0, Number(now - Atomics.load(this.shared, Beat.TIME)) / 1e6));
  }

  /**
   * The watchdog thread `worker` watches this heartbeat: idle mode is allowed while it runs
   * (and it says it can watch an idle loop), its `resume` messages end idle mode, its
   * `paused` messages are measured (a beat at once, so that a stall the pause was in is
   * reported first) and then handed to `pauses`. When the thread exits the heartbeat beats
   * again, for good. Adds listeners to the worker and unrefs it again. With the thread's
   * `control` block, the heartbeat rings it ({@link Doorbell}) when the loop runs a
   * callback in idle mode.
   */
  watchedBy(worker: Worker, pauses?: PauseLog, control?: Int32Array): void {
    this.#watched = true;
    this.#pauses = pauses;
    if (control !== undefined) this.#doorbell ??= Doorbell.create(this.shared, control);
    worker.on("message", (message: unknown) => this.#onThreadMessage(message));
    worker.once("exit", () => {
      this.#watched = false;
      this.#resume();
    });
    // A "message" listener refs the worker's port again.
    worker.unref();
  }

  /** Stop beating (and stay out of idle mode). */
  stop(): void {
    this.#stopped = true;
    this.#doorbell?.disarm();
    if (this.#idle) {
      this.#idle = false;
      Atomics.store(this.shared, Beat.MODE, BEATING);
    }
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #startInterval(): void {
    this.#lastTick = process.hrtime.bigint();
    this.#timer = setInterval(() => this.#beat("tick"), this.#intervalMs);
    this.#timer.unref();
  }

  #onThreadMessage(message: unknown): void {
    if (!isWatchdogThreadMessage(message)) return;
    try {
      if (message.type === "resume") {
        // A resume for an idle period that already ended is stale.
        if (message.seq === this.#seq) this.#resume();
      } else if (message.type === "paused") {
        // The loop turns (this runs on it): whatever held it around the pause has ended.
        // Measure it now, so that its stall is reported before the pause is told.
        if (this.#idle) this.#resume();
        else if (!this.#stopped) this.#beat("forced");
        this.#pauses?.recorded();
      }
    } catch {
      // The watchdog never throws into the application's loop.
    }
  }

  /**
   * One beat: `tick` from the interval, `resume` ending idle mode, `forced` when the
   * watchdog thread reported a pause. Returns whether the loop was idle since the last
   * (busy for at most 5 % of the time, libuv's idle time alone says; for a resume, of its
   * {@link ResumeWindow}).
   */
  #beat(kind: "tick" | "resume" | "forced"): boolean {
    const now = process.hrtime.bigint();
    const previous = this.#last;
    // Before the beat overwrites it: in idle mode, the watchdog thread's word on it.
    const notHeldSince = Atomics.load(this.shared, Beat.TIME);
    const gapNs = now - previous;
    const cpuMs = mainThreadCpuMs();
    const cpuInGapMs = cpuMs - this.#cpuAtLast;
    this.#cpuAtLast = cpuMs;
    const stalledSeq = this.#seq;
    this.#last = now;
    this.#seq++;
    this.#publish();
    // Read at every beat: it is the baseline of the next gap.
    const idleMs = loopIdleMs();
    const idleInGapMs = idleMs - this.#idleAtLast;
    this.#idleAtLast = idleMs;
    const gapMs = Number(gapNs) / 1e6;
    const busyMs = gapMs - idleInGapMs;
    let heldMs = busyMs;
    if (kind === "resume") heldMs = Math.min(heldMs, Number(now - notHeldSince) / 1e6);
    if (kind === "tick") {
      recordDelay(Number(now - this.#lastTick) - this.#intervalMs * 1e6);
      this.#lastTick = now;
    } else if (kind === "resume") {
      recordDelay(heldMs * 1e6);
    }
    if (gapNs >= this.#slowNs && heldMs >= this.#slowMs) {
      this.#onStall({ seq: stalledSeq, durationMs: heldMs, endedAt: now, cpuMs: cpuInGapMs });
    }
    const idle =
      kind === "resume"
        ? this.#resumeWindow.judge(previous, now, busyMs)
        : busyMs <= gapMs * IDLE_BUSY_SHARE;
    if (kind === "tick") {
      this.#considerIdleMode(idle);
      this.#onTick?.();
    }
    return idle;
  }

  #considerIdleMode(idle: boolean): void {
    if (!idle) {
      this.#idleBeats = 0;
      return;
    }
    this.#idleBeats++;
    if (
      this.#idleBeats < IDLE_AFTER_BEATS ||
      !this.#watched ||
      this.#stopped ||
      Atomics.load(this.shared, Beat.IDLE_WATCH) !== 1n
    ) {
      return;
    }
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#idle = true;
    this.#idleBeats = 0;
    this.#resumeWindow.reset();
    // After the beat's time and sequence: a reader that sees idle mode sees the beat it began at.
    Atomics.store(this.shared, Beat.MODE, IDLE);
    this.#doorbell?.arm();
  }

  /**
   * End idle mode: beat at once (measuring what held the loop). If the loop was idle for
   * nearly all the time since the last beat (it woke for a timer of its own, a signal), it
   * stays in idle mode from this beat on, without its interval: an idle process that wakes
   * now and then pays one beat a wake, not the beats that lead into idle mode.
   */
  #resume(): void {
    if (!this.#idle || this.#stopped) return;
    if (this.#beat("resume") && this.#watched) {
      this.#doorbell?.arm();
      return;
    }
    this.#doorbell?.disarm();
    this.#idle = false;
    Atomics.store(this.shared, Beat.MODE, BEATING);
    this.#startInterval();
  }

  #publish(): void {
    // Time first: a reader that sees the new sequence also sees a fresh time.
    Atomics.store(this.shared, Beat.TIME, this.#last);
    Atomics.store(this.shared, Beat.SEQ, this.#seq);
  }
}
