/**
 * Every stable error code of Mayhem, in one table. Callers and tests branch on
 * `error.code`, never on the message. Each code belongs to one error class.
 */
export const ErrorCode = Object.freeze({
  /** {@link ConfigError}: a knob got a value it cannot take (the CLI exits 2). */
  invalidConfig: "MAYHEM_ERR_INVALID_CONFIG",
  /** A broker refused an operation because it is closed. */
  brokerClosed: "MAYHEM_ERR_BROKER_CLOSED",
  /** An existing NATS stream or consumer is configured differently from what the options ask for. */
  natsConfigMismatch: "MAYHEM_ERR_NATS_CONFIG_MISMATCH",
  /** The broker could not be started or read (server unreachable, mismatch); the CLI exits 1. */
  brokerStart: "MAYHEM_ERR_BROKER_START",
  /** A payload that is not a valid Mayhem message: terminated, never redelivered. */
  malformedMessage: "MAYHEM_ERR_MALFORMED_MESSAGE",
  /** A restart failed; retried with backoff up to `--restart-retries`. */
  restartFailed: "MAYHEM_ERR_RESTART_FAILED",
  /** A save failed; not retried: the message is nacked and comes back. */
  saveFailed: "MAYHEM_ERR_SAVE_FAILED",
  /** The reason a handler's AbortSignal carries when the service shuts down. */
  shutdown: "MAYHEM_ERR_SHUTDOWN",
} as const);

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
