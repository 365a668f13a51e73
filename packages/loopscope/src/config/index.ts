export { configFromEnv, DEFAULT_CONFIG } from "./from-env.js";
export type { LoopscopeConfig } from "./from-env.js";
export { LoopscopeError, LoopscopeConfigError } from "./errors.js";
