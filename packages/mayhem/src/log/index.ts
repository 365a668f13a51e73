export type { Logger, LoggerOptions } from "./logger.js";
export { createLogger, flushLogger, silentLogger } from "./logger.js";
