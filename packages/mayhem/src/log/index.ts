export type { LogFormat, LogLevel, Logger, LoggerOptions } from "./logger.js";
export { createLogger, flushLogger, silentLogger } from "./logger.js";
