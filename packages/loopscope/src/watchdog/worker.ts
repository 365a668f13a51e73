/**
 * The watchdog thread's program (started by `thread.ts`; never imported by the main thread).
 *
 * While the main thread beats, it sleeps until the heartbeat would be `slowMs` old; if no
 * newer beat arrived by then, the loop is blocked: it counts the stall (`Control.DETECTED`)
 * and asks the main thread, through an inspector session, to evaluate the capture
 * expression. V8 services that request as an interrupt in the middle of the blocking
 * JavaScript, so the main thread records its own stack while the block is still going on.
 * The beat sequence says which stall a capture belongs to. While the same stall goes on it
 * asks again every beat interval, at most `CAPTURES_PER_STALL` times in all: the main
 * thread tells one long callback from many short ones by them, and prints its early
 * notice on one taken past the threshold. The Debugger domain is never enabled (it costs
 * 5x).
 *
 * **Idle mode.** When the loop has been idle for a few beats the heartbeat stops beating
 * (`Beat.MODE`), and this thread watches the main thread's state in `/proc` instead
 * (`proc-state.ts`), every `idlePollMs`: as long as the main thread has not run since the
 * last look and waits in its own loop's epoll call, the loop is idle, and `Beat.TIME` is
 * moved forward. If it ran since, even briefly, and waits in its loop again, it is asked
 * to beat once (a `resume` message) and watched on: that beat measures the turn, and the
 * heartbeat stays in idle mode if the loop was idle nearly all the time. Anything else (it
 * is on a CPU; it waits in another call: `execSync`'s loop, `Atomics.wait`'s futex) and it
 * is asked to beat again (`resume`, handled as soon as the loop turns), `Beat.TIME` is set
 * back to when the activity began, and it is watched as above. When the activity began:
 * if the main thread has been on a CPU (or waiting for one) ever since it woke (it did not
 * sleep again: its voluntary context switches did not change), as long ago as the CPU
 * time it had since the last look, which is exact; otherwise the last look, which is never
 * late. So a block that began in idle mode is captured at the same threshold after it
 * began.
 * Between looks the thread blocks in `Atomics.wait` (its own loop has nothing to do: no
 * capture is pending): an idle process costs one wake of this thread per look, and
 * nothing on the main thread. While the main thread's doorbell is armed (`Beat.DOORBELL`,
 * `doorbell.ts`) the first callback its loop runs wakes this thread at once, so otherwise
 * it only wakes every `DOORBELL_WAKE_MS` (for host pauses) and looks at every
 * `DOORBELL_WAKES_PER_LOOK`th wake (for JavaScript run without a callback, which rings
 * nothing), and at once when rung: a block that begins in idle mode is still seen as it
 * begins.
 *
 * **Host pauses.** On every wake it measures how late it woke. A wake late by at
 * `max(20 ms, slowMs / 2)` or more while the main thread did not run either (its CPU time
 * did not advance by as much) is a time the whole process was not running: stopped
 * (SIGSTOP), throttled, or the host took the CPU. It is recorded in the pause ring
 * (`Pauses`) and the main thread is told (`paused`).
 *
 * It imports nothing of loopscope but the protocol and `proc-state.ts`, which import
 * nothing: a thread that loaded loopscope would start it again (and cost start-up time).
 */
// Atomics.waitAsync (Node 16+) is declared in the ES2024 lib, not in the ES2023 one the
// project targets; only this file needs it.
/// <reference lib="es2024.sharedmemory" />
import inspector from "node:inspector";
import type { MessagePort } from "node:worker_threads";
import { parentPort, workerData } from "node:worker_threads";
import type { CpuReading } from "./proc-state.js";
import { LoopWait, ThreadProbe, cpuReading } from "./proc-state.js";
import type { WatchdogThreadData, WatchdogThreadMessage } from "./thread-protocol.js";
import {
  ARMED,
  Beat,
  CAPTURES_PER_STALL,
  DOORBELL_WAKE_MS,
  DOORBELL_WAKES_PER_LOOK,
  Control,
  DISCONNECTED,
  IDLE,
  PAUSE_SLOTS,
  Pauses,
  RUNG,
  WATCHING,
  captureExpression,
} from "./thread-protocol.js";

const NS_PER_MS = 1_000_000n;
/** A wake later than this (or half the threshold, if more) is a pause of the process. */
const MIN_PAUSE_MS = 20;
/** The longest interval between two looks at an idle main thread (and pause checks). */
const MAX_IDLE_POLL_MS = 100;
/** Once the main loop's wait is known, it is sampled on one wake in this many while it beats. */
const LEARN_EVERY = 16;

/**
 * How often the watchdog thread looks at an idle main thread: often enough that a block
 * is seen before it is `slowMs` old (so its first capture still comes at the threshold),
 * with a margin of 5 % (at least 2 ms) for a late wake (so that `Beat.TIME`, moved forward
 * at each look, does not read as a stalled loop to the inspector's server), at most every
 * 100 ms. While the main thread's doorbell is armed it wakes only every
 * `DOORBELL_WAKE_MS` (280 ms) instead, and looks at every other wake. Each wake of this
 * thread costs 0.25 to 0.4 ms of CPU on a small virtual machine, a look's read of `/proc`
 * about 0.1 ms more: the whole cost of an idle process.
 */
export function idlePollMs(slowMs: number): number {
  return Math.max(1, Math.min(MAX_IDLE_POLL_MS, slowMs - Math.max(2, Math.round(slowMs / 20))));
}

/** A wake of the thread, for the pause check: when it was due, the main thread's CPU before it. */
interface Wake {
  readonly due: bigint;
  readonly cpuRead: boolean;
  readonly cpuNs: number;
  readonly cpuAt: bigint;
}

/** Idle mode's state between looks. */
interface IdleLook {
  /** The sequence idle mode began at (or began again at, after one beat). */
  seq: bigint;
  /** `Beat.TIME` as this thread last wrote (or read) it. */
  time: bigint;
  /** The main thread's CPU at the last look that found it waiting in its loop after running. */
  idleCpu: CpuReading | undefined;
  /** Its voluntary context switches then (it has not run since, so it has not slept again). */
  sleeps: number | undefined;
}

class WatchdogThread {
  readonly #port: MessagePort;
  readonly #beat: BigInt64Array;
  readonly #control: Int32Array;
  readonly #pauses: BigInt64Array;
  readonly #slowNs: bigint;
  readonly #beatNs: bigint;
  readonly #pauseNs: bigint;
  readonly #idlePollMs: number;
  readonly #session = new inspector.Session();
  /** The main thread's `/proc` state; `undefined` where it cannot be read (no idle mode). */
  readonly #probe: ThreadProbe | undefined;
  readonly #loopWait: LoopWait | undefined;
  #connected = false;
  #stopped = false;
  /** The stall being watched (its sequence), and the captures asked for it. */
  #stallSeq = -1n;
  #captures = 0;
  /** Captures asked for and not answered yet (the main thread may be in native code). */
  #capturesPending = 0;
  /** The idle sequence a `resume` was sent for. */
  #resumedSeq = -1n;
  /** Wakes since the loop's wait was last sampled. */
  #learnSkips = 0;
  /** The main thread's CPU at the last wake, and when it was read (for the pause check). */
  readonly #cpu: CpuReading = cpuReading();
  #cpuAt = 0n;
  #cpuRead = false;

  constructor(port: MessagePort, data: WatchdogThreadData) {
    this.#port = port;
    this.#beat = data.beat;
    this.#control = data.control;
    this.#pauses = data.pauses;
    this.#slowNs = BigInt(data.slowMs) * NS_PER_MS;
    this.#beatNs = BigInt(data.beatMs) * NS_PER_MS;
    this.#pauseNs = BigInt(Math.max(MIN_PAUSE_MS, Math.round(data.slowMs / 2))) * NS_PER_MS;
    this.#idlePollMs = idlePollMs(data.slowMs);
    // The main thread's id is the process's.
    this.#probe = ThreadProbe.open(process.pid);
    this.#loopWait =
      this.#probe === undefined ? undefined : new LoopWait(this.#probe.loopWaitSyscalls);
  }

  start(): void {
    try {
      this.#session.connectToMainThread();
      this.#connected = true;
    } catch (error) {
      this.#send({ type: "capture-unavailable", reason: describe(error) });
    }
    // Keeps this thread's loop alive while it watches (the main thread unrefs the worker).
    this.#port.on("message", () => undefined);
    this.#readMainCpu(process.hrtime.bigint());
    this.#tick();
  }

  #tick(): void {
    if (this.#stopped) return;
    if (this.#mayWatchIdle()) {
      this.#watchIdle();
      if (this.#stopRequested()) {
        this.#stop();
        return;
      }
    }
    const seq = Atomics.load(this.#beat, Beat.SEQ);
    const last = Atomics.load(this.#beat, Beat.TIME);
    const now = process.hrtime.bigint();
    const age = now - last;
    let waitNs: bigint;
    if (age < this.#slowNs) {
      waitNs = this.#slowNs - age;
      // The loop turns: most likely it waits in its epoll call now; learn it.
      this.#learnLoopWait();
    } else if (seq !== this.#stallSeq) {
      this.#stallSeq = seq;
      this.#captures = 0;
      // Counted before the capture is asked for, with or without a session: a native
      // call that sees this change was running when the stall was detected.
      Atomics.add(this.#control, Control.DETECTED, 1);
      this.#capture(seq, now);
      waitNs = this.#beatNs;
    } else if (this.#captures < CAPTURES_PER_STALL && this.#connected) {
      // The same stall goes on: another capture a beat interval after the last one.
      this.#capture(seq, now);
      waitNs = this.#beatNs;
    } else {
      // Nothing more to do for this stall; look again once a healthy beat could be stale.
      waitNs = this.#slowNs;
    }
    this.#sleep(waitNs);
  }

  /**
   * Sleep on the stop flag rather than on a timer: the main thread's exit handler wakes
   * us at once and waits (briefly) for the session to be disconnected.
   */
  #sleep(waitNs: bigint): void {
    const waitMs = Math.max(1, Math.ceil(Number(waitNs) / 1e6));
    const due = process.hrtime.bigint() + BigInt(waitMs) * NS_PER_MS;
    const waited = Atomics.waitAsync(this.#control, Control.STOP, WATCHING, waitMs);
    if (waited.async) void waited.value.then((result) => this.#wake(result, due));
    else this.#wake(waited.value, due);
  }

  #wake(result: string, due: bigint): void {
    if (this.#stopRequested()) {
      this.#stop();
      return;
    }
    if (result === "timed-out") this.#checkLateness(this.#woke(due));
    this.#tick();
  }

  #stopRequested(): boolean {
    return Atomics.load(this.#control, Control.STOP) !== WATCHING;
  }

  #capture(seq: bigint, detectedAt: bigint): void {
    if (!this.#connected) return;
    // A main thread held in native code answers none until it returns, then all at once,
    // where it returned (so they all name the line that made the call).
    this.#capturesPending++;
    this.#captures++;
    const params: inspector.Runtime.EvaluateParameterType = {
      expression: captureExpression(seq, detectedAt),
      silent: true,
      returnByValue: true,
    };
    this.#session.post("Runtime.evaluate", params, (error, result) => {
      this.#capturesPending--;
      if (this.#stopped) return;
      if (error !== null) {
        this.#send({ type: "capture-failed", reason: describe(error) });
      } else if (result.exceptionDetails !== undefined) {
        this.#send({ type: "capture-failed", reason: "the capture threw" });
      }
    });
  }

  // ---- idle mode ----

  #mayWatchIdle(): boolean {
    return (
      this.#probe !== undefined &&
      this.#loopWait?.known === true &&
      this.#capturesPending === 0 &&
      Atomics.load(this.#beat, Beat.MODE) === IDLE &&
      Atomics.load(this.#beat, Beat.SEQ) !== this.#resumedSeq
    );
  }

  /**
   * Sample what the main thread waits in while the loop turns (it waits in its loop most of
   * the time): its loop's wait is known once seen twice, and idle mode is allowed then. Once
   * known, one wake in {@link LEARN_EVERY} still samples (a first sample taken in a nested
   * loop is outdone by the loop's own, shallower wait).
   */
  #learnLoopWait(): void {
    const probe = this.#probe;
    const loopWait = this.#loopWait;
    if (probe === undefined || loopWait === undefined) return;
    if (loopWait.known && ++this.#learnSkips % LEARN_EVERY !== 0) return;
    loopWait.isLoopWait(probe.readSyscall());
    if (loopWait.known && Atomics.load(this.#beat, Beat.IDLE_WATCH) === 0n) {
      Atomics.store(this.#beat, Beat.IDLE_WATCH, 1n);
    }
  }

  /**
   * Watch the idle main thread, synchronously (this thread's loop has nothing to do), until
   * it beats again, is seen active (then `Beat.TIME` says since when, and a `resume` was
   * sent), or this thread is asked to stop. A main thread that ran briefly is asked to beat
   * once (a `resume`) and is watched on: it beats once and, idle, stays in idle mode.
   */
  #watchIdle(): void {
    const look: IdleLook = { seq: -1n, time: 0n, idleCpu: undefined, sleeps: undefined };
    this.#readMainCpu(process.hrtime.bigint());
    let wake: Wake | undefined;
    for (;;) {
      const idle = this.#lookAtIdle(look);
      // After the look: a pause's message then comes after the resume it may need, so the
      // heartbeat's beat that ends idle mode already knows the loop was idle till now.
      if (wake !== undefined) this.#checkLateness(wake);
      if (!idle) return;
      const due = this.#sleepUntilLook();
      if (this.#stopRequested()) return;
      if (due !== undefined) {
        wake = this.#woke(due);
      } else {
        // The doorbell rang: the main thread runs a callback. Look now.
        wake = undefined;
        this.#readMainCpu(process.hrtime.bigint());
      }
    }
  }

  /**
   * Sleep until the next look at the idle main thread: every `idlePollMs`, or while its
   * doorbell is armed, at the `DOORBELL_WAKES_PER_LOOK`th wake (one every `DOORBELL_WAKE_MS`),
   * or at one that came late (a pause: its check needs the main thread's CPU), or sooner
   * when the doorbell rings, idle mode ends or this thread is asked to stop. Returns when
   * the last wake was due, or `undefined` when it did not time out.
   */
  #sleepUntilLook(): bigint | undefined {
    for (let wakes = 1; ; wakes++) {
      const doorbell = Atomics.load(this.#beat, Beat.DOORBELL) === ARMED;
      const waitMs = doorbell ? Math.max(this.#idlePollMs, DOORBELL_WAKE_MS) : this.#idlePollMs;
      const due = process.hrtime.bigint() + BigInt(waitMs) * NS_PER_MS;
      const result = Atomics.wait(this.#control, Control.STOP, WATCHING, waitMs);
      if (result !== "timed-out") return undefined;
      if (
        !doorbell ||
        wakes >= DOORBELL_WAKES_PER_LOOK ||
        process.hrtime.bigint() - due >= this.#pauseNs ||
        this.#stopRequested() ||
        Atomics.load(this.#beat, Beat.MODE) !== IDLE ||
        Atomics.load(this.#beat, Beat.DOORBELL) !== ARMED
      ) {
        return due;
      }
    }
  }

  /**
   * One look at the idle main thread (its CPU just read): whether to go on watching it so.
   * Not when the heartbeat beats again, nor when the main thread is active: then `resume`
   * was sent, and `Beat.TIME` says since when whatever it does may hold the loop.
   */
  #lookAtIdle(look: IdleLook): boolean {
    if (Atomics.load(this.#beat, Beat.MODE) !== IDLE) return false;
    const seq = Atomics.load(this.#beat, Beat.SEQ);
    if (seq !== look.seq) {
      // Idle mode began, or began again after one beat: look afresh.
      look.seq = seq;
      look.time = Atomics.load(this.#beat, Beat.TIME);
      look.idleCpu = undefined;
      look.sleeps = undefined;
    }
    if (!this.#cpuRead) {
      this.#resume(seq);
      return false;
    }
    const now = this.#cpuAt;
    const cpu = this.#cpu;
    const idleCpu = look.idleCpu;
    if (idleCpu === undefined || cpu.slices !== idleCpu.slices || cpu.cpuNs !== idleCpu.cpuNs) {
      const state = this.#probe!.readSyscall();
      if (!this.#loopWait!.isLoopWait(state)) {
        // Active. If it has been on a CPU (or waiting for one) ever since it woke, it woke
        // as long ago as the CPU it had since the last look; else, after the last look.
        // Before the first look, the beat idle mode began at says it all (TIME as it is).
        // A ring since the last look says when the first callback began: nothing it does
        // began earlier.
        if (idleCpu !== undefined) {
          let since = look.time;
          if (Atomics.load(this.#beat, Beat.DOORBELL) === RUNG) {
            const rungAt = Atomics.load(this.#beat, Beat.RUNG_AT);
            if (rungAt > since && rungAt <= now) since = rungAt;
          }
          if (
            state.kind === "running" &&
            look.sleeps !== undefined &&
            this.#probe!.readVoluntarySwitches() === look.sleeps
          ) {
            const activeNs = BigInt(cpu.cpuNs - idleCpu.cpuNs + (cpu.waitNs - idleCpu.waitNs));
            if (now - activeNs > since) since = now - activeNs;
          }
          Atomics.compareExchange(this.#beat, Beat.TIME, look.time, since);
        }
        this.#resume(seq);
        return false;
      }
      // Waiting in its loop. If it ran since the last look, that turn is over: the heartbeat
      // beats once, to measure it and start afresh; watched from now on.
      if (idleCpu !== undefined) this.#resume(seq);
      look.idleCpu = { ...cpu };
      look.sleeps = this.#probe!.readVoluntarySwitches();
    }
    // Waiting in its loop, and has not run since: not held up to now. (A beat the main
    // thread wrote meanwhile wins; the next look sees it.)
    if (Atomics.compareExchange(this.#beat, Beat.TIME, look.time, now) === look.time) {
      look.time = now;
    }
    return true;
  }

  #resume(seq: bigint): void {
    if (this.#resumedSeq === seq) return;
    this.#resumedSeq = seq;
    this.#send({ type: "resume", seq });
  }

  // ---- host pauses ----

  #readMainCpu(now: bigint): void {
    this.#cpuRead = this.#probe?.readCpu(this.#cpu) ?? false;
    this.#cpuAt = now;
  }

  /** A timed wake due at `due`: the main thread's CPU is read again, the previous kept. */
  #woke(due: bigint): Wake {
    const wake: Wake = {
      due,
      cpuRead: this.#cpuRead,
      cpuNs: this.#cpu.cpuNs,
      cpuAt: this.#cpuAt,
    };
    this.#readMainCpu(process.hrtime.bigint());
    return wake;
  }

  /**
   * A wake late by a pause, while the main thread did not run either (since its CPU was
   * last read, a wake or two before, it was off a CPU for half the lateness at least), is
   * recorded.
   */
  #checkLateness(wake: Wake): void {
    const now = this.#cpuAt;
    const late = now - wake.due;
    if (late < this.#pauseNs) return;
    if (wake.cpuRead && this.#cpuRead) {
      // Only this thread was late (it waited for a core the main thread had): no pause.
      const offCpuNs = now - wake.cpuAt - BigInt(this.#cpu.cpuNs - wake.cpuNs);
      if (offCpuNs < late / 2n) return;
    }
    this.#recordPause(wake.due, now);
  }

  #recordPause(start: bigint, end: bigint): void {
    const count = Number(Atomics.load(this.#pauses, Pauses.COUNT));
    const slot = Pauses.RING + 2 * (count % PAUSE_SLOTS);
    Atomics.store(this.#pauses, slot, start);
    Atomics.store(this.#pauses, slot + 1, end);
    Atomics.store(this.#pauses, Pauses.COUNT, BigInt(count + 1));
    this.#send({ type: "paused", count: count + 1 });
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    Atomics.store(this.#beat, Beat.IDLE_WATCH, 0n);
    this.#probe?.close();
    // A session left connected at exit makes Node print "Waiting for the debugger to disconnect...".
    if (this.#connected) this.#session.disconnect();
    this.#connected = false;
    Atomics.store(this.#control, Control.DISCONNECT, DISCONNECTED);
    Atomics.notify(this.#control, Control.DISCONNECT);
    this.#port.close();
  }

  #send(message: WatchdogThreadMessage): void {
    this.#port.postMessage(message);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Loaded anywhere but in the thread `thread.ts` starts, this file does nothing.
if (parentPort !== null) {
  new WatchdogThread(parentPort, workerData as WatchdogThreadData).start();
}
