import { ErrorCode } from "../../errors/index.js";
import { BrokerError } from "../errors.js";
import { describe } from "../option-checks.js";

/**
 * An existing stream or consumer does not match the options. The broker refuses
 * to reuse it: running on a wrong ack deadline or max deliveries would silently change
 * the delivery semantics for every instance sharing it.
 */
export class NatsConfigMismatchError extends BrokerError {
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
      ErrorCode.natsConfigMismatch,
      `existing ${entity} ${describe(entityName)} has ${field} = ${describe(actual)}, expected ${describe(expected)}; ` +
        `change the options to match, or delete the ${entity} so it is created again`,
    );
  }
}
