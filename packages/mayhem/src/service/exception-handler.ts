import type { Logger } from "pino";

export interface ExceptionHandlerOptions {
  readonly log: Logger;
  /** Called for every error caught; the first one should start a graceful shutdown. */
  readonly onError: (kind: "unhandledRejection" | "uncaughtException", error: unknown) => void;
}

/** Handle to remove exactly the listeners that {@link installExceptionHandler} added. */
export interface InstalledExceptionHandler {
  /** Errors caught so far. */
  readonly count: number;
  uninstall(): void;
}

/**
 * The one process-wide exception handler (asyncio's `loop.set_exception_handler`):
 * an unhandled rejection or an uncaught exception is logged with its stack and
 * context, counted, and handed to `onError` (which starts a graceful shutdown)
 * instead of killing the process mid-flight.
 */
export function installExceptionHandler(
  options: ExceptionHandlerOptions,
): InstalledExceptionHandler {
  const { log, onError } = options;
  let count = 0;
  const onRejection = (reason: unknown): void => {
    count++;
    log.error(
      { err: reason, kind: "unhandledRejection" },
      `Caught exception: unhandled rejection: ${describe(reason)}`,
    );
    onError("unhandledRejection", reason);
  };
  const onException = (error: Error, origin: string): void => {
    count++;
    log.error(
      { err: error, kind: "uncaughtException", origin },
      `Caught exception: ${describe(error)}`,
    );
    onError("uncaughtException", error);
  };
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return {
    get count() {
      return count;
    },
    uninstall() {
      process.removeListener("unhandledRejection", onRejection);
      process.removeListener("uncaughtException", onException);
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
