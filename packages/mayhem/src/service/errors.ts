/** Stable error codes raised by the service. */
export const ErrorCodes = {
  RESTART_FAILED: "MAYHEM_ERR_RESTART_FAILED",
  SAVE_FAILED: "MAYHEM_ERR_SAVE_FAILED",
  SHUTDOWN: "MAYHEM_ERR_SHUTDOWN",
} as const;

/** Base class: every error of the service carries a stable `code`. */
export class MayhemError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** restartHost failed; retried with backoff up to the configured limit. */
export class RestartFailedError extends MayhemError {
  constructor(readonly hostname: string) {
    super(`Could not restart ${hostname}`, ErrorCodes.RESTART_FAILED);
  }
}

/** save failed; not retried: the message is nacked and comes back. */
export class SaveFailedError extends MayhemError {
  constructor(readonly instanceName: string) {
    super(`Could not save ${instanceName}`, ErrorCodes.SAVE_FAILED);
  }
}

/** The reason handlers see on their AbortSignal when the service shuts down. */
export class ShutdownError extends MayhemError {
  constructor(readonly reason: string) {
    super(`service is shutting down (${reason})`, ErrorCodes.SHUTDOWN);
  }
}
