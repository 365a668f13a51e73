import { closeSync, openSync, write, writeSync } from "node:fs";
import type { LoopscopeEvent } from "../protocol/index.js";
import { renderEvent } from "../render/index.js";

/** Options of {@link configureEvents}. Options left out keep their current value. */
export interface EventStreamOptions {
  /**
   * Append every event to this file as one JSON object a line (`LOOPSCOPE_EVENTS`).
   * Opened in append mode; an empty string turns the file output off.
   */
  readonly file?: string;
  /** Print every event readably on stderr. Off until configured (the preload turns it on). */
  readonly stderr?: boolean;
  /** Events waiting to be written beyond this are dropped and counted. Default 10,000. */
  readonly maxQueued?: number;
}

/** Counters of the event stream since the process started. */
export interface EventStats {
  /** Events passed to {@link emit}. */
  readonly emitted: number;
  /** Events not written: the queue was full, or an output failed. */
  readonly dropped: number;
  /** Events written to every configured output. */
  readonly written: number;
}

const DEFAULT_MAX_QUEUED = 10_000;
/** At exit, queued events are written synchronously, but no more than this many. */
const MAX_WRITTEN_AT_EXIT = 1_000;

type Listener = (event: LoopscopeEvent) => void;

const listeners = new Set<Listener>();
const queue: LoopscopeEvent[] = [];
const stats = { emitted: 0, dropped: 0, written: 0 };
let maxQueued = DEFAULT_MAX_QUEUED;
let toStderr = false;
let filePath: string | undefined;
let fd: number | undefined;
let scheduled: NodeJS.Immediate | undefined;
/** The batch being written to the file, if any: the next waits for it, keeping lines whole. */
let inFlight: Promise<void> | undefined;
let exitHookInstalled = false;
/** The process is exiting and the queue was written: later events are written at once. */
let exiting = false;
let fileErrorReported = false;

/**
 * Publish a diagnostic event: to in-process listeners at once, then (asynchronously,
 * off the caller's path) as text on stderr and as a JSON line in the events file.
 * Never throws and never blocks: the queue is bounded and overflow is counted in
 * {@link eventStats}.
 */
export function emit(event: LoopscopeEvent): void {
  stats.emitted++;
  for (const listener of listeners) {
    try {
      listener(event);
    } catch {
      // A failing subscriber must not reach the application that emitted.
    }
  }
  if (!toStderr && filePath === undefined) return;
  if (queue.length >= maxQueued) {
    stats.dropped++;
    return;
  }
  queue.push(event);
  // Other exit listeners (the watchdog's last coalesced reports) may come after ours.
  if (exiting) writeQueuedSync();
  else scheduleDrain();
}

/** Whether events are printed on stderr now (the preload and `start()` turn it on). */
export function printsToStderr(): boolean {
  return toStderr;
}

/**
 * Subscribe to every event in this process, synchronously as it is emitted.
 * Returns the function that unsubscribes.
 */
export function onEvent(listener: (event: LoopscopeEvent) => void): () => void {
  if (typeof listener !== "function") {
    throw new TypeError(`onEvent: listener must be a function, got ${typeof listener}`);
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** A copy of the stream's counters. */
export function eventStats(): EventStats {
  return { ...stats };
}

/**
 * Choose where events go. Called by `start()` and the preload; tests call it directly.
 *
 * @throws TypeError naming the option when `maxQueued` is not a positive integer.
 * @example
 * ```ts
 * configureEvents({ file: "/var/log/app/loopscope.jsonl", stderr: true });
 * ```
 */
export function configureEvents(options: EventStreamOptions): void {
  if (options.maxQueued !== undefined) {
    if (!Number.isInteger(options.maxQueued) || options.maxQueued < 1) {
      throw new TypeError(
        `configureEvents: maxQueued must be a positive integer, got ${String(options.maxQueued)}`,
      );
    }
    maxQueued = options.maxQueued;
  }
  if (options.stderr !== undefined) toStderr = options.stderr;
  if (options.file !== undefined && options.file !== filePath) openFile(options.file);
  installExitHook();
}

/** Write every queued event now; resolves when they are written (or dropped). */
export async function flushEvents(): Promise<void> {
  if (scheduled !== undefined) {
    clearImmediate(scheduled);
    scheduled = undefined;
  }
  while (queue.length > 0 || inFlight !== undefined) {
    if (inFlight !== undefined) await inFlight;
    else await drain();
  }
}

function openFile(path: string): void {
  closeFile();
  filePath = path === "" ? undefined : path;
  fileErrorReported = false;
  if (filePath === undefined) return;
  try {
    fd = openSync(filePath, "a");
  } catch (err) {
    reportFileError(err);
  }
}

function closeFile(): void {
  if (fd === undefined) return;
  const closing = fd;
  fd = undefined;
  const close = () => {
    try {
      closeSync(closing);
    } catch {
      // Already closed.
    }
  };
  // A batch may still be writing to the old descriptor.
  if (inFlight !== undefined) void inFlight.then(close);
  else close();
}

/** One line on stderr, once per file: a silent loss of every event would be worse. */
function reportFileError(err: unknown): void {
  fd = undefined;
  if (fileErrorReported) return;
  fileErrorReported = true;
  const reason = err instanceof Error ? err.message : String(err);
  try {
    process.stderr.write(`loopscope: cannot write events to ${filePath}: ${reason}\n`);
  } catch {
    // Nothing left to tell.
  }
}

function scheduleDrain(): void {
  if (scheduled !== undefined || inFlight !== undefined) return;
  scheduled = setImmediate(() => {
    scheduled = undefined;
    void drain();
  });
  // Pending diagnostics never keep the process alive: the exit hook writes them.
  scheduled.unref();
}

/** Take the queue, print it on stderr, write it to the file; then go again if more came. */
function drain(): Promise<void> {
  if (inFlight !== undefined) return inFlight;
  const batch = queue.splice(0, queue.length);
  if (batch.length === 0) return Promise.resolve();
  if (toStderr) writeStderr(batch);
  const target = fd;
  if (target === undefined) {
    if (filePath !== undefined) stats.dropped += batch.length;
    else stats.written += batch.length;
    return Promise.resolve();
  }
  const data = Buffer.from(batch.map(jsonLine).join(""));
  inFlight = new Promise<void>((resolve) => {
    writeAll(target, data, (err) => {
      if (err === null) stats.written += batch.length;
      else {
        stats.dropped += batch.length;
        reportFileError(err);
      }
      inFlight = undefined;
      if (queue.length > 0) scheduleDrain();
      resolve();
    });
  });
  return inFlight;
}

function writeAll(
  target: number,
  data: Buffer,
  done: (err: NodeJS.ErrnoException | null) => void,
): void {
  write(target, data, 0, data.length, null, (err, bytes) => {
    if (err !== null) done(err);
    else if (bytes < data.length) writeAll(target, data.subarray(bytes), done);
    else done(null);
  });
}

function writeStderr(batch: readonly LoopscopeEvent[]): void {
  for (const event of batch) {
    try {
      process.stderr.write(`${safeRender(event)}\n`);
    } catch {
      // stderr closed: nowhere to print.
    }
  }
}

function safeRender(event: LoopscopeEvent): string {
  try {
    return renderEvent(event);
  } catch (err) {
    return `loopscope: ${event.type} event (could not render: ${String(err)})`;
  }
}

function jsonLine(event: LoopscopeEvent): string {
  try {
    return `${JSON.stringify(event)}\n`;
  } catch {
    return `${JSON.stringify({ type: event.type, protocol: event.protocol, time: event.time, pid: event.pid, error: "not serialisable" })}\n`;
  }
}

/**
 * On exit the loop no longer runs: write what is still queued synchronously, bounded,
 * so the last diagnostics (often the interesting ones) are not lost.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    exiting = true;
    writeQueuedSync();
  });
}

function writeQueuedSync(): void {
  if (scheduled !== undefined) {
    clearImmediate(scheduled);
    scheduled = undefined;
  }
  const batch = queue.splice(0, queue.length);
  const kept = batch.slice(0, MAX_WRITTEN_AT_EXIT);
  stats.dropped += batch.length - kept.length;
  if (kept.length === 0) return;
  if (toStderr) {
    for (const event of kept) {
      try {
        writeSync(2, `${safeRender(event)}\n`);
      } catch {
        break;
      }
    }
  }
  if (fd !== undefined) {
    try {
      writeSync(fd, kept.map(jsonLine).join(""));
      stats.written += kept.length;
    } catch {
      stats.dropped += kept.length;
    }
  } else if (filePath === undefined) {
    stats.written += kept.length;
  } else {
    stats.dropped += kept.length;
  }
}

/** Back to the initial state: no outputs, no listeners, counters at zero. For tests. */
export function resetEventsForTests(): void {
  exiting = false;
  if (scheduled !== undefined) clearImmediate(scheduled);
  scheduled = undefined;
  queue.length = 0;
  listeners.clear();
  closeFile();
  filePath = undefined;
  toStderr = false;
  maxQueued = DEFAULT_MAX_QUEUED;
  stats.emitted = 0;
  stats.dropped = 0;
  stats.written = 0;
}
