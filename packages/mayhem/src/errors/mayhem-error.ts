import type { ErrorCode } from "./codes.js";

/**
 * The one base class of Mayhem's errors. The constructor takes the stable code
 * first, then the message, then the usual `ErrorOptions` (a `cause`).
 */
export class MayhemError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
