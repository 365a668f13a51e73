export { startWatchdog, WatchdogError } from "./watchdog.js";
export type { Watchdog, WatchdogOptions } from "./watchdog.js";
export { loopBlockedStats } from "./stats.js";
export type { LoopBlockedStats } from "./stats.js";
