export { configFromEnv, DEFAULT_CONFIG, TOKEN_PATTERN, isLoopback } from "./from-env.js";
export type { LoopscopeConfig } from "./from-env.js";
export { LoopscopeConfigError } from "./errors.js";
