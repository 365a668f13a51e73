import type { DestinationStream, Level, Logger } from "pino";
import { pino } from "pino";
import { PinoPretty } from "pino-pretty";

export type { Logger } from "pino";

/** pino's levels, plus `silent`. */
export type LogLevel = Level | "silent";
/** `auto`: readable lines on a TTY, JSON otherwise. */
export type LogFormat = "auto" | "pretty" | "json";

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** `auto` (default): pretty when the output is a TTY, JSON lines otherwise. */
  readonly format?: LogFormat;
  /** Where lines go. Default: stdout. With a stream given, `auto` means JSON. */
  readonly destination?: DestinationStream;
}

/**
 * The service's logger: pino. JSON when stdout is not a TTY (for machines),
 * readable lines on a TTY (pino-pretty as an in-thread stream rather than a
 * transport worker: lines appear in order with the service's own behaviour,
 * and there is no worker to shut down).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const format = options.format ?? "auto";
  const pretty =
    format === "pretty" || (format === "auto" && !options.destination && process.stdout.isTTY);
  const base = { name: "mayhem" };
  if (pretty) {
    const stream = PinoPretty({
      colorize: process.stdout.isTTY,
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname,name",
      singleLine: true,
      sync: true,
      destination: options.destination ?? 1,
    });
    return pino({ level, base }, stream);
  }
  return pino({ level, base }, options.destination ?? pino.destination({ dest: 1, sync: true }));
}

/** A logger that writes nothing (benchmark mode and tests). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** Flushes buffered lines; resolves even if flushing fails (shutdown must go on). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      resolve();
    }
  });
}
