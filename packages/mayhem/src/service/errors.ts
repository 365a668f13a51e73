import { ErrorCode, MayhemError } from "../errors/index.js";

/** restartHost failed; retried with backoff up to the configured limit. */
export class RestartFailedError extends MayhemError {
  constructor(readonly hostname: string) {
    super(ErrorCode.restartFailed, `Could not restart ${hostname}`);
  }
}

/** save failed; not retried: the message is nacked and comes back. */
export class SaveFailedError extends MayhemError {
  constructor(readonly instanceName: string) {
    super(ErrorCode.saveFailed, `Could not save ${instanceName}`);
  }
}

/** The reason handlers see on their AbortSignal when the service shuts down. */
export class ShutdownError extends MayhemError {
  constructor(readonly reason: string) {
    super(ErrorCode.shutdown, `service is shutting down (${reason})`);
  }
}
