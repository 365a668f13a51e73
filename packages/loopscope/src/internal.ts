/**
 * `loopscope/internal`: what sibling packages (Mayhem) and tests use beyond the public
 * face (./index.ts), as nats.js keeps its internals at `nats/internal`. No stability
 * promise: these names may change with any release. An application imports `loopscope`.
 */

// Emitting events is loopscope's own job: an application that could forge them would
// make every report untrustworthy.
export { emit, printsToStderr } from "./events/index.js";

// Configuration's defaults.
export { DEFAULT_CONFIG } from "./config/index.js";

// Dump files and their rendezvous directory (the `loopscope dump` command).
export {
  dumpFilePaths,
  rendezvousDir,
  readRendezvousFile,
  UnsafeRendezvousError,
} from "./lifecycle/index.js";

// The flight recorder: its windows (a loop-blocked report carries one), its counters, and
// the GC pauses it tracks.
export {
  startRecorder,
  stopRecorder,
  recorderWindow,
  wholeRecorderWindow,
  recorderStats,
  gcPausesBetween,
  gcTrackingSource,
  trackGcPauses,
} from "./recorder/index.js";
export type {
  RecorderOptions,
  RecorderStats,
  GcPauses,
  GcTrackingSource,
  WindowLimits,
} from "./recorder/index.js";

// The tasks' debug tracking, which `setDebug` switches with the rest of debug mode.
export { setDebugTracking, isDebugTracking, currentTaskRef, taskRef } from "./tasks/index.js";

// Debug mode's and the watchdog's figures.
export { blockingCallNames } from "./debug/index.js";
export { loopBlockedStats } from "./watchdog/index.js";
export type { LoopBlockedStats } from "./watchdog/index.js";

// The exporters `startMetrics` drives, one at a time.
export {
  registerPrometheusMetrics,
  servePrometheus,
  PrometheusServerError,
  createStatsdExporter,
  registerOpenTelemetryMetrics,
} from "./metrics/index.js";
export type {
  PrometheusExporter,
  PrometheusServer,
  PrometheusServerOptions,
  StatsdExporter,
  StatsdTarget,
  OpenTelemetryExporter,
} from "./metrics/index.js";

// Stacks and their text, piece by piece.
export {
  captureCallerStack,
  errorInfo,
  isInternalFile,
  isLoopscopeFile,
  mapPosition,
  clearSourceMapCache,
} from "./stacks/index.js";
export { formatFrame, formatMs, displayPath } from "./render/index.js";
