/**
 * The watchdog thread's program (started by `thread.ts`; never imported by the main thread).
 *
 * It sleeps until the main thread's heartbeat would be `slowMs` old; if no newer beat
 * arrived by then, the loop is blocked, and it asks the main thread, through an inspector
 * session, to evaluate the capture expression. V8 services that request as an interrupt in
 * the middle of the blocking JavaScript, so the main thread records its own stack while the
 * block is still going on. The beat sequence says which stall a capture belongs to. A stall
 * gets one capture, and a second one a beat interval later if it still goes on (the first
 * may come when the loop has been held for only three quarters of the threshold; the main
 * thread keeps the first and prints its early notice on the second). The Debugger domain is
 * never enabled (it costs 5x).
 *
 * It imports nothing of loopscope but the protocol, which imports nothing: a thread that
 * loaded loopscope would start it again (and cost start-up time).
 */
// Atomics.waitAsync (Node 16+) is declared in the ES2024 lib, not in the ES2023 one the
// project targets; only this file needs it.
/// <reference lib="es2024.sharedmemory" />
import inspector from "node:inspector";
import type { MessagePort } from "node:worker_threads";
import { parentPort, workerData } from "node:worker_threads";
import type { WatchdogThreadData, WatchdogThreadMessage } from "./thread-protocol.js";
import { Beat, Control, DISCONNECTED, WATCHING, captureExpression } from "./thread-protocol.js";

const NS_PER_MS = 1_000_000n;

class WatchdogThread {
  readonly #port: MessagePort;
  readonly #beat: BigInt64Array;
  readonly #control: Int32Array;
  readonly #slowNs: bigint;
  readonly #beatNs: bigint;
  readonly #session = new inspector.Session();
  #connected = false;
  #stopped = false;
  /** The stall that got its first capture. */
  #capturedSeq = -1n;
  /** The stall that got its second capture, once surely past the threshold. */
  #confirmedSeq = -1n;

  constructor(port: MessagePort, data: WatchdogThreadData) {
    this.#port = port;
    this.#beat = data.beat;
    this.#control = data.control;
    this.#slowNs = BigInt(data.slowMs) * NS_PER_MS;
    this.#beatNs = BigInt(data.beatMs) * NS_PER_MS;
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
    this.#tick();
  }

  #tick(): void {
    if (this.#stopped) return;
    const seq = Atomics.load(this.#beat, Beat.SEQ);
    const last = Atomics.load(this.#beat, Beat.TIME);
    const now = process.hrtime.bigint();
    const age = now - last;
    let waitNs = this.#slowNs - age;
    if (age >= this.#slowNs) {
      // Nothing more to do for this stall; look again once a healthy beat could be stale.
      waitNs = this.#slowNs;
      if (!this.#connected) {
        // Durations only: nothing to capture.
      } else if (seq !== this.#capturedSeq) {
        this.#capturedSeq = seq;
        this.#capture(seq, now);
        // The loop may have been held for a beat interval less than the threshold so far:
        // look again once it has surely been held that long.
        waitNs = this.#beatNs;
      } else if (seq !== this.#confirmedSeq) {
        const untilSure = this.#slowNs + this.#beatNs - age;
        if (untilSure > 0n) {
          waitNs = untilSure;
        } else {
          // Still the same stall, surely past the threshold: the main thread prints its
          // early notice on this capture if it held back on the first.
          this.#confirmedSeq = seq;
          this.#capture(seq, now);
        }
      }
    }
    // Sleep on the stop flag rather than on a timer: the main thread's exit handler wakes
    // us at once and waits (briefly) for the session to be disconnected.
    const waitMs = Math.max(1, Math.ceil(Number(waitNs) / 1e6));
    const waited = Atomics.waitAsync(this.#control, Control.STOP, WATCHING, waitMs);
    if (waited.async) void waited.value.then(() => this.#wake());
    else this.#wake();
  }

  #wake(): void {
    if (Atomics.load(this.#control, Control.STOP) !== WATCHING) this.#stop();
    else this.#tick();
  }

  #capture(seq: bigint, detectedAt: bigint): void {
    const params: inspector.Runtime.EvaluateParameterType = {
      expression: captureExpression(seq, detectedAt),
      silent: true,
      returnByValue: true,
    };
    this.#session.post("Runtime.evaluate", params, (error, result) => {
      if (this.#stopped) return;
      if (error !== null) {
        this.#send({ type: "capture-failed", reason: describe(error) });
      } else if (result.exceptionDetails !== undefined) {
        this.#send({ type: "capture-failed", reason: "the capture threw" });
      }
    });
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
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
