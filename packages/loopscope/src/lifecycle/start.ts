import { unlinkSync, writeFileSync } from "node:fs";
import type { LoopscopeConfig } from "../config/index.js";
import { DEFAULT_CONFIG, DEFAULT_RECORDER_SECONDS, configFromEnv } from "../config/index.js";
import { configureEvents, emit, flushEvents } from "../events/index.js";
import type { TaskDumpEvent } from "../protocol/index.js";
import { renderDump } from "../render/index.js";
import { applyDebug } from "../debug/index.js";
import { checkExporterPackages, startMetrics } from "../metrics/index.js";
import { recordSkip, sayNewSkips } from "../patches/index.js";
import { startRecorder, stopRecorder } from "../recorder/index.js";
import { snapshotTasks, stopWatchingTasks } from "../tasks/index.js";
import { startWatchdog } from "../watchdog/index.js";
import type { Inspector } from "../inspector/index.js";
import { startInspector } from "../inspector/index.js";
import { announceInspector, removeAddressFile, rewriteAddressFile } from "./inspector-address.js";
import { readRendezvousFile, rendezvousOwnerOf } from "./rendezvous.js";
import {
  dumpFilePaths,
  inspectRequestPath,
  onMarkerPath,
  recorderRequestPath,
  writeFileAtomic,
} from "./dump-files.js";
import { ownRendezvousDir, sayRendezvousProblem } from "./own-rendezvous.js";
import { processStartTicks } from "./proc.js";
import { writeRecorderFile, writeRecorderOnFatalExit } from "./recorder-file.js";

/** Something started with loopscope that must be stopped with it (watchdog, metrics). */
interface Stoppable {
  stop(): Promise<void>;
}

interface Running {
  readonly config: LoopscopeConfig;
  readonly onDumpSignal: () => void;
  /** Stops writing the recorder file at a fatal exit; `undefined` when the recorder is off. */
  readonly stopFatalWatch: (() => void) | undefined;
  readonly services: Stoppable[];
  /** The inspector, turned on at start or on demand (`loopscope inspect`). */
  inspector: Inspector | undefined;
}

let running: Running | undefined;

/**
 * Turn loopscope on in this process, as the preload does: events to stderr (and to
 * `eventsFile`), a task dump on SIGUSR2, debug tracking in debug mode, the flight recorder
 * (its file written at a fatal exit).
 *
 * @param config - settings; fields left out take their defaults. Without it, the
 *   configuration is read from the environment ({@link configFromEnv}), which may throw
 *   `LoopscopeConfigError`.
 * @throws `MissingPackageError` when a configured exporter's package is not installed
 *   (`npm install hot-shots` for StatsD, `npm install prom-client` for Prometheus); nothing
 *   is turned on then.
 * @returns `true` if this call turned loopscope on, `false` if it was already on
 *   (the first configuration stays; call {@link stop} first to change it).
 * @example
 * ```ts
 * import { start, stop } from "loopscope";
 * start({ slowMs: 50, eventsFile: "loopscope.jsonl" });
 * // ...
 * await stop();
 * ```
 */
export function start(config?: Partial<LoopscopeConfig>): boolean {
  if (running !== undefined) return false;
  const resolved: LoopscopeConfig =
    config === undefined ? configFromEnv() : { ...DEFAULT_CONFIG, ...config };
  checkExporterPackages(resolved);
  const recorderSeconds = resolved.recorderSeconds ?? DEFAULT_RECORDER_SECONDS;
  // Before anything else is on: a bad `recorderSeconds` throws here, with nothing to undo.
  const recording = recorderSeconds > 0 && startRecorder({ seconds: recorderSeconds });
  configureEvents({ stderr: true, file: resolved.eventsFile ?? "" });
  if (resolved.debug) applyDebug(true);
  const stopFatalWatch = recording ? writeRecorderOnFatalExit() : undefined;

  const onDumpSignal = (): void => {
    // `loopscope inspect` and `loopscope dump --recorder` leave a request before they
    // signal: answer them instead of dumping.
    const inspect = takeRequest(inspectRequestPath);
    const recorder = takeRequest(recorderRequestPath);
    if (inspect) openInspectorOnDemand();
    // Never rejects: a file that cannot be written is said on stderr.
    if (recorder) void writeRecorderFile();
    if (inspect || recorder) return;
    // The dump is asynchronous; writeDump reports its own failures and never rejects here.
    void writeDump().catch(() => undefined);
  };
  // Node's default for SIGUSR2 is to terminate: this listener replaces it. Signal
  // listeners do not keep the process alive.
  try {
    process.on("SIGUSR2", onDumpSignal);
  } catch (error) {
    recordSkip({ target: "SIGUSR2 listener", reason: String(error), effect: "no dump on SIGUSR2" });
  }
  markOn();

  const services: Stoppable[] = [];
  let inspector: Inspector | undefined;
  try {
    services.push(startWatchdog({ slowMs: resolved.slowMs }));
  } catch (error) {
    // A watchdog that cannot start (no worker threads) must not stop the application.
    sayCouldNotStart("watchdog", error);
  }
  try {
    services.push(startMetrics(resolved));
  } catch (error) {
    sayCouldNotStart("metrics", error);
  }
  if (resolved.inspect !== undefined) {
    try {
      inspector = startInspector({
        host: resolved.inspect.host,
        port: resolved.inspect.port,
        control: resolved.inspectControl ?? false,
        ...(resolved.inspectToken === undefined ? {} : { token: resolved.inspectToken }),
      });
      services.push(inspector);
      announceInspector(inspector, resolved.inspect.host);
    } catch (error) {
      sayCouldNotStart("inspector", error);
    }
  }

  running = { config: resolved, onDumpSignal, stopFatalWatch, services, inspector };
  // What could not be wrapped or hooked in this process, said once.
  sayNewSkips();
  return true;
}

/**
 * Turn loopscope off: remove the SIGUSR2 listener, stop debug tracking, the flight
 * recorder and the services started with it, write queued events. Does nothing if it is off.
 */
export async function stop(): Promise<void> {
  const current = running;
  if (current === undefined) return;
  running = undefined;
  process.removeListener("SIGUSR2", current.onDumpSignal);
  markOff();
  removeAddressFile();
  if (current.config.debug) applyDebug(false);
  // Only a recorder this start() started: one started apart keeps running.
  if (current.stopFatalWatch !== undefined) {
    current.stopFatalWatch();
    stopRecorder();
  }
  stopWatchingTasks();
  await Promise.allSettled(current.services.map((service) => service.stop()));
  await flushEvents();
  configureEvents({ stderr: false, file: "" });
}

/** The configuration loopscope runs with, or `undefined` when it is off. */
export function activeConfig(): Readonly<LoopscopeConfig> | undefined {
  return running?.config;
}

/** What {@link writeDump} wrote. */
export interface WrittenDump {
  readonly event: TaskDumpEvent;
  /** The dump as text, as written to `textFile`. */
  readonly text: string;
  /**
   * `<pid>.dump` in the rendezvous directory; `undefined` when the files could not be
   * written (the directory is unsafe or cannot be created: said once on stderr).
   */
  readonly textFile: string | undefined;
  /** `<pid>.dump.json`, the event; `undefined` when `textFile` is. */
  readonly jsonFile: string | undefined;
}

/**
 * Take a dump, emit it as a `task-dump` event (readable on stderr, a JSON line in the
 * events file) and write it to `<pid>.dump` and `<pid>.dump.json` in the rendezvous
 * directory, where `loopscope dump <pid>` reads it. This is what SIGUSR2 does. Never
 * rejects: files that cannot be written are said once on stderr and left out.
 */
export async function writeDump(): Promise<WrittenDump> {
  const event = snapshotTasks();
  emit(event);
  const text = `${renderDump(event)}\n`;
  const files = await writeDumpFiles(event, text);
  return { event, text, textFile: files?.text, jsonFile: files?.json };
}

async function writeDumpFiles(
  event: TaskDumpEvent,
  text: string,
): Promise<{ text: string; json: string } | undefined> {
  const dir = ownRendezvousDir();
  if (dir === undefined) return undefined;
  const files = dumpFilePaths(process.pid, dir);
  try {
    // JSON first: a reader waiting for the text file finds both complete.
    await writeFileAtomic(files.json, `${JSON.stringify(event)}\n`);
    await writeFileAtomic(files.text, text);
    return files;
  } catch (error) {
    sayRendezvousProblem(error);
    return undefined;
  }
}

/**
 * Whether a command asked for something else than a dump (`loopscope inspect`: the
 * inspector; `loopscope dump --recorder`: the recorder file): its request file, the
 * user's own in the checked rendezvous directory, is there (and is taken away).
 */
function takeRequest(pathOf: (pid: number, dir: string) => string): boolean {
  const dir = ownRendezvousDir();
  if (dir === undefined) return false;
  const path = pathOf(process.pid, dir);
  try {
    if (readRendezvousFile(path, rendezvousOwnerOf(process.pid).uid) === undefined) return false;
    unlinkSync(path);
    return true;
  } catch {
    // Unsafe or unreadable: not a request this process acts on; a dump, as always.
    return false;
  }
}

/**
 * Open the inspector on a free loopback port, with a random token that goes only to the
 * address file (no line on stderr: the asker reads the file); if it runs already, write
 * its address file again.
 */
function openInspectorOnDemand(): void {
  const current = running;
  if (current === undefined) return;
  if (current.inspector !== undefined) {
    rewriteAddressFile(current.inspector);
    return;
  }
  try {
    const inspector = startInspector({ control: current.config.inspectControl ?? false });
    current.inspector = inspector;
    current.services.push(inspector);
    announceInspector(inspector, "127.0.0.1", { printUrl: false });
  } catch (error) {
    sayCouldNotStart("inspector", error);
  }
}

/** One line on stderr per failure: each names what did not start (the application goes on). */
function sayCouldNotStart(what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`loopscope: could not start the ${what}: ${message}\n`);
}

/** The marker this process left, to remove at stop or exit. */
let marker: string | undefined;

/** Leave the marker `loopscope dump` looks for; a missing one only costs the user `--force`. */
function markOn(): void {
  const dir = ownRendezvousDir();
  if (dir === undefined) return;
  const path = onMarkerPath(process.pid, dir);
  try {
    // A process killed by a signal leaves its marker behind: the start time tells
    // `loopscope dump` whether a later process with the same pid is the one that wrote it.
    // The directory is this user's and closed to others: nothing else can be at this name.
    writeFileSync(path, `${process.pid} ${processStartTicks() ?? ""}\n`, { mode: 0o600 });
    marker = path;
    process.on("exit", markOff);
  } catch (error) {
    // A full disk must not stop the application.
    sayRendezvousProblem(error);
  }
}

function markOff(): void {
  process.removeListener("exit", markOff);
  if (marker === undefined) return;
  try {
    unlinkSync(marker);
  } catch {
    // Already gone.
  }
  marker = undefined;
}
