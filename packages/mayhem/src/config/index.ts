export type { Defect } from "./defects.js";
export { DEFECTS, parseDefects } from "./defects.js";
export type { Knob, MayhemConfig } from "./knobs.js";
export { KNOBS, defaultConfig, resolveConfig, literalText } from "./knobs.js";
export { ConfigError, InvalidValue } from "./errors.js";
export { isNatsBroker } from "./broker-parsers.js";
export type { Parser } from "./parsers.js";
export { decimal, integer } from "./parsers.js";
