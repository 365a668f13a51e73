export {
  emit,
  onEvent,
  eventStats,
  configureEvents,
  flushEvents,
  printsToStderr,
  resetEventsForTests,
} from "./stream.js";
export type { EventStreamOptions, EventStats } from "./stream.js";
