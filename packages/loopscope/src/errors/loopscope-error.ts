import type { ErrorCode } from "./codes.js";

/**
 * The one base class of loopscope's errors. The constructor takes the stable code first
 * (one of {@link ErrorCode}), then the message, then the usual `ErrorOptions` (a `cause`).
 */
export class LoopscopeError extends Error {
  /** Stable identifier, e.g. `LOOPSCOPE_ERR_CONFIG`. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
