export type { Knob, LogFormat, LogLevel, MayhemConfig } from "./knobs.js";
export { KNOBS, defaultConfig, resolveConfig } from "./knobs.js";
export { ConfigError, INVALID_CONFIG, InvalidValue } from "./errors.js";
export type { Parser } from "./parsers.js";
export { decimal, integer, oneOf, optional } from "./parsers.js";
