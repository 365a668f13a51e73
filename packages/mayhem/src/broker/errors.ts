/** Stable error codes of the broker layer; tests and callers match on these, never on messages. */
export const BrokerErrorCode = Object.freeze({
  closed: "MAYHEM_ERR_BROKER_CLOSED",
  /** An existing NATS stream or consumer is configured differently from what the options ask for. */
  natsConfigMismatch: "MAYHEM_ERR_NATS_CONFIG_MISMATCH",
} as const);

export type BrokerErrorCode = (typeof BrokerErrorCode)[keyof typeof BrokerErrorCode];

/** Base class of the errors a broker rejects with; `code` is stable. */
export class BrokerError extends Error {
  readonly code: BrokerErrorCode;

  constructor(code: BrokerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The broker was closed; it accepts no more messages. */
export class BrokerClosedError extends BrokerError {
  constructor(operation: string, kind: string) {
    super(BrokerErrorCode.closed, `cannot ${operation}: the ${kind} broker is closed`);
  }
}
