export {
  emit,
  onEvent,
  eventStats,
  configureEvents,
  flushEvents,
  printsToStderr,
} from "./stream.js";
export type { EventStreamOptions, EventStats } from "./stream.js";
