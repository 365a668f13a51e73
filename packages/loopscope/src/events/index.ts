export {
  emit,
  onEvent,
  eventStats,
  configureEvents,
  flushEvents,
  resetEventsForTests,
} from "./stream.js";
export type { EventStreamOptions, EventStats } from "./stream.js";
