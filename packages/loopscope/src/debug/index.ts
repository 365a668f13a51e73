export { applyDebug, setDebug, isDebug } from "./mode.js";
export type { DebugOptions } from "./mode.js";
export { blockingCallNames, BLOCKING_MODULES, syncFunctionKeys } from "./blocking-calls.js";
