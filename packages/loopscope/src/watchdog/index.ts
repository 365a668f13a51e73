export { startWatchdog, WatchdogError, onBlockedCapture, watchdogHeartbeat } from "./watchdog.js";
export type { Watchdog, WatchdogOptions, BlockedCapture, WatchdogHeartbeat } from "./watchdog.js";
export { loopBlockedStats } from "./stats.js";
export { recordLoopDelay } from "./heartbeat.js";
export type { LoopBlockedStats } from "./stats.js";
export { threadEntry, startLoopscopeThread } from "./thread.js";
