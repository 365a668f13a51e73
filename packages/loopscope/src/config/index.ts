export { configFromEnv, DEFAULT_CONFIG } from "./from-env.js";
export type { LoopscopeConfig } from "./from-env.js";
export { LoopscopeConfigError } from "./errors.js";
