import { LoopscopeError } from "../errors/index.js";

/**
 * A `LOOPSCOPE_*` environment variable has a value loopscope cannot use. The message
 * names the variable and the value received, ready to print as it is.
 * Code `LOOPSCOPE_ERR_CONFIG`.
 */
export class LoopscopeConfigError extends LoopscopeError {
  /** The environment variable at fault, e.g. `LOOPSCOPE_SLOW_MS`. */
  readonly variable: string;
  /** The value it had. */
  readonly value: string;

  constructor(variable: string, value: string, expected: string) {
    super("LOOPSCOPE_ERR_CONFIG", `${variable} must be ${expected}, got ${JSON.stringify(value)}`);
    this.variable = variable;
    this.value = value;
  }
}
