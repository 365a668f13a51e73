export { renderFrames, formatFrame, displayPath, formatMs, formatDuration } from "./frames-text.js";
export type { RenderFramesOptions } from "./frames-text.js";
export { renderEvent } from "./event-text.js";
export { renderDump } from "./dump-text.js";
export { taskLabel } from "./task-label.js";
export { groupTasks } from "./group-tasks.js";
export type { TaskGroup, GroupedTasks } from "./group-tasks.js";
export { renderRecorder, renderRecorderSummary } from "./recorder-text.js";
