import { describe } from "./options.js";

/** Stable error codes of the NATS broker; match on these, never on messages. */
export const NatsBrokerErrorCode = Object.freeze({
  /** An existing stream or consumer is configured differently from what the options ask for. */
  configMismatch: "MAYHEM_ERR_NATS_CONFIG_MISMATCH",
  /** The broker was closed; it accepts no more messages. */
  closed: "MAYHEM_ERR_NATS_CLOSED",
} as const);

export type NatsBrokerErrorCode = (typeof NatsBrokerErrorCode)[keyof typeof NatsBrokerErrorCode];

/** Base class of the errors the NATS broker throws; `code` is stable. */
export class NatsBrokerError extends Error {
  readonly code: NatsBrokerErrorCode;

  constructor(code: NatsBrokerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * An existing stream or consumer does not match the options. The broker refuses
 * to reuse it: running on a wrong ack wait or max deliver would silently change
 * the delivery semantics for every instance sharing it.
 */
export class NatsConfigMismatchError extends NatsBrokerError {
  constructor(
    /** `stream` or `consumer`. */
    readonly entity: "stream" | "consumer",
    /** The stream or consumer name. */
    readonly entityName: string,
    /** The JetStream config field that differs, e.g. `ack_wait`. */
    readonly field: string,
    readonly expected: unknown,
    readonly actual: unknown,
  ) {
    super(
      NatsBrokerErrorCode.configMismatch,
      `existing ${entity} ${describe(entityName)} has ${field} = ${describe(actual)}, expected ${describe(expected)}; ` +
        `change the options to match, or delete the ${entity} so it is created again`,
    );
  }
}

/** The broker is closed. */
export class NatsBrokerClosedError extends NatsBrokerError {
  constructor(operation: string) {
    super(NatsBrokerErrorCode.closed, `cannot ${operation}: the nats broker is closed`);
  }
}
