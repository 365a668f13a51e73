/**
 * The main thread's GC pauses from V8's own trace events: an inspector session on this
 * thread runs `NodeTracing` with the `v8` category, in which V8 writes one complete event
 * per pause (`V8.GCScavenger`, `V8.GCFinalizeMC`, `V8.GCCompactor`, incremental marking
 * steps), with its start and duration in microseconds of the `process.hrtime` clock.
 *
 * Why not `perf_hooks` `gc` entries: Node hands each collection to an observer in
 * JavaScript on the main thread (a native immediate, an entry object, a `setImmediate`),
 * about 10 to 40 µs a collection; an allocating service collects 200 times a second, which
 * alone took 0.8 to 1 % of its main thread (`bench/gc-tracking.ts`). Trace events cost V8 a
 * few writes to a buffer another thread owns, and nothing in JavaScript until someone asks.
 *
 * Reading them: `NodeTracing.stop` hands the buffered events to the session before it
 * answers (synchronously, on the main thread: measured on Node 20, 22, 24 and 26), so
 * {@link GcTrace.collect} stops and starts again, and whoever asks sees every pause up to
 * that moment. The events of the other threads (workers, their collections) are told apart
 * by the thread Node names `JavaScriptMainThread` in the trace's metadata.
 *
 * Node hands every trace event to every trace writer: a process that already writes a
 * trace of its own (`--trace-event-categories`, `trace_events.createTracing`) would find
 * V8's GC events in its file, so there the pauses are observed instead.
 */
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

/** Told of each pause of the main thread, oldest first, none overlapping the one before. */
export type PauseSink = (startPerfMs: number, durationMs: number, kind: string) => void;

/** A running trace of the main thread's GC pauses. */
export interface GcTrace {
  /**
   * Hand every pause traced so far to the sink (synchronously). Returns `false` when the
   * trace could not go on (tracing would not start again): the caller tracks pauses some
   * other way from then on.
   */
  collect(): boolean;
  /** Stop tracing and let the session go. */
  stop(): void;
}

/** The subset of `node:inspector`'s Session used here. */
interface InspectorSession {
  connect(): void;
  disconnect(): void;
  on(
    event: string,
    listener: (message: { readonly params: { readonly value: unknown } }) => void,
  ): void;
  post(method: string, params: object, callback: (error: Error | null) => void): void;
}

interface TraceEvent {
  readonly ph?: unknown;
  readonly name?: unknown;
  readonly tid?: unknown;
  readonly ts?: unknown;
  readonly dur?: unknown;
  readonly args?: { readonly name?: unknown };
}

const START = { traceConfig: { includedCategories: ["v8"] } };
const MAIN_THREAD_NAME = "JavaScriptMainThread";
const PAUSE_NAME =
  /^V8\.GC(Scavenger|MinorM[CS]|FinalizeMinorMC|FinalizeMC|Compactor|IncrementalMarking)/;

/**
 * Start tracing the main thread's GC pauses into `sink`, or `undefined` where this process
 * cannot (Node built without the inspector, the permission model denying it, an embedder
 * without `NodeTracing`, a thread that is not the main one) or should not (it traces
 * already). Never throws.
 */
export function startGcTrace(sink: PauseSink): GcTrace | undefined {
  let session: InspectorSession;
  try {
    const require = createRequire(import.meta.url);
    const traceEvents = require("node:trace_events") as {
      getEnabledCategories(): string | undefined;
    };
    if ((traceEvents.getEnabledCategories() ?? "") !== "") return undefined;
    const inspector = require("node:inspector") as { Session: new () => InspectorSession };
    session = new inspector.Session();
    session.connect();
  } catch {
    return undefined;
  }
  const reader = new PauseReader(sink);
  session.on("NodeTracing.dataCollected", (message) => reader.read(message.params.value));
  if (!post(session, "NodeTracing.start", START)) {
    disconnect(session);
    return undefined;
  }
  let tracing = true;
  return {
    collect(): boolean {
      if (!tracing) return false;
      // The events come to the listener while `stop` runs; `start` begins a new buffer.
      post(session, "NodeTracing.stop", {});
      tracing = post(session, "NodeTracing.start", START);
      if (!tracing) disconnect(session);
      return tracing;
    },
    stop(): void {
      if (!tracing) return;
      tracing = false;
      post(session, "NodeTracing.stop", {});
      disconnect(session);
    },
  };
}

/** Post and say whether the answer came, without an error, before `post` returned. */
function post(session: InspectorSession, method: string, params: object): boolean {
  let answered = false;
  try {
    session.post(method, params, (error) => {
      answered = error === null || error === undefined;
    });
  } catch {
    return false;
  }
  return answered;
}

function disconnect(session: InspectorSession): void {
  try {
    session.disconnect();
  } catch {
    // Already gone: nothing to let go of.
  }
}

/** Turns batches of trace events into the main thread's pauses, on the performance clock. */
class PauseReader {
  /** The main thread's id in the trace, from its metadata (Linux: the process id). */
  #mainThread: unknown = undefined;
  /** Where the last pause handed on ended: a nested or repeated event is not a new pause. */
  #lastEnd = -Infinity;

  constructor(private readonly sink: PauseSink) {}

  read(value: unknown): void {
    if (!Array.isArray(value)) return;
    const events = value as readonly TraceEvent[];
    if (this.#mainThread === undefined) this.#mainThread = mainThreadOf(events);
    const mainThread = this.#mainThread ?? process.pid;
    const pauses: TraceEvent[] = [];
    for (const event of events) {
      if (
        event.ph === "X" &&
        event.tid === mainThread &&
        typeof event.name === "string" &&
        typeof event.ts === "number" &&
        typeof event.dur === "number" &&
        PAUSE_NAME.test(event.name)
      ) {
        pauses.push(event);
      }
    }
    if (pauses.length === 0) return;
    pauses.sort((a, b) => (a.ts as number) - (b.ts as number));
    // Trace times are microseconds of the hrtime clock; pauses are kept on the performance clock.
    const perfMinusHrtimeMs = performance.now() - Number(process.hrtime.bigint() / 1000n) / 1000;
    for (const pause of pauses) {
      let start = (pause.ts as number) / 1000 + perfMinusHrtimeMs;
      const end = start + (pause.dur as number) / 1000;
      if (end <= this.#lastEnd) continue;
      if (start < this.#lastEnd) start = this.#lastEnd;
      this.#lastEnd = end;
      this.sink(start, end - start, kindOf(pause.name as string));
    }
  }
}

function mainThreadOf(events: readonly TraceEvent[]): unknown {
  for (const event of events) {
    if (event.ph === "M" && event.name === "thread_name" && event.args?.name === MAIN_THREAD_NAME) {
      return event.tid;
    }
  }
  return undefined;
}

/** `minor`, `major` or `incremental`, as the `gc` entries of `perf_hooks` name them. */
function kindOf(name: string): string {
  if (name.startsWith("V8.GCIncrementalMarking")) return "incremental";
  if (name.startsWith("V8.GCFinalizeMC") || name.startsWith("V8.GCCompactor")) return "major";
  return "minor";
}
