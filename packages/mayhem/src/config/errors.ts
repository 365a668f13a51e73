/** Stable code of {@link ConfigError}. */
export const INVALID_CONFIG = "MAYHEM_ERR_INVALID_CONFIG";

/**
 * A knob got a value it cannot take. The message names where the value came
 * from (the flag or the environment variable) and the value itself, e.g.
 * `invalid value for --max-in-flight: "abc" (expected an integer >= 1)`.
 * The CLI prints it and exits with code 2.
 */
export class ConfigError extends TypeError {
  readonly code = INVALID_CONFIG;
  constructor(
    readonly source: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`invalid value for ${source}: ${JSON.stringify(value)} (expected ${expected})`);
    this.name = "ConfigError";
  }
}

/** Thrown by a knob's parser; the resolver adds where the value came from. */
export class InvalidValue extends Error {
  constructor(readonly expected: string) {
    super(expected);
    this.name = "InvalidValue";
  }
}
