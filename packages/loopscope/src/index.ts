/**
 * loopscope, the event-loop debugger for Node. The package's face: what an application
 * calls, exported here by name, one name per thing. Turn it on with `start()` (or the
 * `loopscope/register` preload, or `loopscope run -- <command>`). What sibling packages
 * and tests need beyond this is in `loopscope/internal`, with no promise of stability.
 */

// Turning loopscope on and off, dumps on demand.
export { start, stop, activeConfig, writeDump } from "./lifecycle/index.js";
export type { WrittenDump } from "./lifecycle/index.js";

// Errors: one base class, one table of codes.
export { LoopscopeError, ErrorCode } from "./errors/index.js";

// Configuration.
export { configFromEnv, LoopscopeConfigError } from "./config/index.js";
export type { LoopscopeConfig } from "./config/index.js";

// Tasks, and the snapshot of every pending one (the `task-dump` event).
export {
  spawn,
  currentTask,
  cancelTask,
  findTask,
  pendingTaskCount,
  snapshotTasks,
} from "./tasks/index.js";
export type { Task, SpawnOptions } from "./tasks/index.js";

// Debug mode (LOOPSCOPE_DEBUG=1).
export { setDebug, isDebug } from "./debug/index.js";
export type { DebugOptions } from "./debug/index.js";

// Production: the watchdog and loop metrics.
export { startWatchdog, WatchdogError } from "./watchdog/index.js";
export type { Watchdog, WatchdogOptions } from "./watchdog/index.js";
export {
  startMetrics,
  MissingPackageError,
  PROMETHEUS_NAMES,
  STATSD_NAMES,
  OTEL_NAMES,
} from "./metrics/index.js";
export type { MetricsOptions, LoopMetrics, LoopMetricsSample } from "./metrics/index.js";

// The inspector: a live dashboard and its protocol, served from a worker thread.
export { startInspector, InspectorError } from "./inspector/index.js";
export type { Inspector, InspectorOptions } from "./inspector/index.js";

// Events: subscribing to them and to the events file.
export { onEvent, eventStats, configureEvents, flushEvents } from "./events/index.js";
export type { EventStreamOptions, EventStats } from "./events/index.js";

// Stacks: capture now, resolve (format, parse, source-map) later.
export { captureStack, resolveStack, parseStack } from "./stacks/index.js";
export type { RawStack } from "./stacks/index.js";

// Renderers, and the grouping of a dump any client can build on.
export {
  renderFrames,
  renderEvent,
  renderDump,
  renderRecorder,
  renderRecorderSummary,
  groupTasks,
} from "./render/index.js";
export type { RenderFramesOptions, TaskGroup, GroupedTasks } from "./render/index.js";

// The schema of every event and snapshot.
export { PROTOCOL_VERSION, isApplicationFrame } from "./protocol/index.js";
export type {
  Frame,
  TaskRef,
  TaskState,
  AwaitKind,
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
  TaskQuery,
  TaskQueryAnswer,
  TaskGroupSummary,
  TaskDetailAnswer,
  FinishedTask,
  FinishedTasksAnswer,
  RecentEventsAnswer,
  LoopSample,
  LoopSamplesAnswer,
  InspectorStatus,
  BlockedNow,
  Freshness,
  CancelAnswer,
  ErrorAnswer,
  LiveMessage,
  LiveRequest,
  InspectorAddress,
  RecorderEntryKind,
  RecorderEntry,
  RecorderWindow,
  RecorderStarts,
  RecorderFile,
  RecorderAnswer,
} from "./protocol/index.js";
