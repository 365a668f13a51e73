export {
  startRecorder,
  stopRecorder,
  isRecording,
  recordTaskStart,
  recordTaskEnd,
  recordTaskCancel,
  recordFatalRejection,
  recorderWindow,
  wholeRecorderWindow,
  recorderStats,
  RECORDER_DEFAULTS,
} from "./recorder.js";
export type { RecorderOptions, RecorderStats, TaskSampling } from "./recorder.js";
export {
  collectGcPauses,
  collectGcPausesIfDue,
  driveGcCollection,
  gcPausesBetween,
  gcTrackingSource,
  trackGcPauses,
  GC_KEPT,
} from "./gc.js";
export { errorText, shortText, MAX_TEXT } from "./text.js";
export type { GcPauses, GcTrackingSource } from "./gc.js";
export { DEFAULT_WINDOW_LIMITS } from "./window.js";
export type { WindowLimits } from "./window.js";
export { EntryRing, Kind } from "./ring.js";
export { TaskTally } from "./task-tally.js";
export type { RingBounds } from "./ring.js";
