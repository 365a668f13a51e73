import { ErrorCode, MayhemError } from "../errors/index.js";

/**
 * Base class of the errors a broker rejects with. Its `code` comes from the one
 * table, {@link ErrorCode}: `brokerClosed` or `natsConfigMismatch`.
 */
export class BrokerError extends MayhemError {}

/** The broker was closed; it accepts no more messages. */
export class BrokerClosedError extends BrokerError {
  constructor(operation: string, kind: string) {
    super(ErrorCode.brokerClosed, `cannot ${operation}: the ${kind} broker is closed`);
  }
}
