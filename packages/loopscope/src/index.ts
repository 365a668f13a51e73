/**
 * loopscope, the event-loop debugger for Node. The package's face: everything public
 * is exported here by name. Turn it on with `start()` (or the `loopscope/register`
 * preload, or `loopscope run -- <command>`).
 */

// Lifecycle: turning loopscope on and off, dumps on demand.
export { start, stop, activeConfig, dump, writeDump, dumpFilePaths } from "./lifecycle/index.js";
export type { WrittenDump } from "./lifecycle/index.js";

// Errors: one base class, one table of codes.
export { LoopscopeError, ErrorCode } from "./errors/index.js";

// Configuration.
export { configFromEnv, DEFAULT_CONFIG, LoopscopeConfigError } from "./config/index.js";
export type { LoopscopeConfig } from "./config/index.js";

// Tasks.
export {
  spawn,
  currentTask,
  cancelTask,
  findTask,
  pendingTaskCount,
  snapshotTasks,
  setDebugTracking,
  isDebugTracking,
} from "./tasks/index.js";
export type { Task, SpawnOptions } from "./tasks/index.js";

// Debug mode (LOOPSCOPE_DEBUG=1).
export { setDebug, isDebug, blockingCallNames } from "./debug/index.js";
export type { DebugOptions } from "./debug/index.js";

// Production: the watchdog and loop metrics.
export { startWatchdog, WatchdogError, loopBlockedStats } from "./watchdog/index.js";
export type { Watchdog, WatchdogOptions, LoopBlockedStats } from "./watchdog/index.js";
export {
  startMetrics,
  registerPrometheusMetrics,
  servePrometheus,
  PrometheusServerError,
  MissingPackageError,
  createStatsdExporter,
  registerOpenTelemetryMetrics,
  PROMETHEUS_NAMES,
  STATSD_NAMES,
  OTEL_NAMES,
} from "./metrics/index.js";
export type {
  MetricsOptions,
  LoopMetrics,
  LoopMetricsSample,
  StatsdExporter,
  StatsdTarget,
  OpenTelemetryExporter,
} from "./metrics/index.js";

// Events.
export { emit, onEvent, eventStats, configureEvents, flushEvents } from "./events/index.js";
export type { EventStreamOptions, EventStats } from "./events/index.js";

// Reports: frames and renderers.
export {
  captureStack,
  resolveStack,
  parseStack,
  errorInfo,
  renderFrames,
  renderEvent,
  renderDump,
} from "./report/index.js";
export type { RawStack, RenderFramesOptions } from "./report/index.js";

export type {
  Frame,
  TaskRef,
  TaskState,
  Awaiting,
  TaskSnapshot,
  LoopscopeEvent,
  LoopscopeEventType,
  LoopBlockedEvent,
  UnhandledRejectionEvent,
  TaskExceptionNeverRetrievedEvent,
  BlockingCallEvent,
  SlowCallbackEvent,
  TaskDumpEvent,
  DumpSampling,
  TaskNeverResumesEvent,
  ErrorInfo,
} from "./report/types.js";
