import { ErrorCode, MayhemError } from "../errors/index.js";

/**
 * A knob got a value it cannot take. The message names where the value came
 * from (the flag or the environment variable) and the value itself, e.g.
 * `invalid value for --max-in-flight: "abc" (expected an integer >= 1)`.
 * The CLI prints it and exits with code 2.
 */
export class ConfigError extends MayhemError {
  constructor(
    readonly source: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(
      ErrorCode.invalidConfig,
      `invalid value for ${source}: ${JSON.stringify(value)} (expected ${expected})`,
    );
  }
}

/**
 * Thrown by a knob's parser, which does not know where the value came from;
 * the resolver catches it and throws a {@link ConfigError} naming the source.
 */
export class InvalidValue extends MayhemError {
  constructor(readonly expected: string) {
    super(ErrorCode.invalidConfig, expected);
  }
}
