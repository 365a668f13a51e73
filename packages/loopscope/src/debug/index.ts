export { applyDebug, setDebug, isDebug } from "./mode.js";
export type { DebugOptions } from "./mode.js";
export { blockingCallNames } from "./blocking-calls.js";
