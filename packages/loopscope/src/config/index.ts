export {
  configFromEnv,
  DEFAULT_CONFIG,
  DEFAULT_RECORDER_SECONDS,
  MAX_RECORDER_SECONDS,
  TOKEN_PATTERN,
  isLoopback,
} from "./from-env.js";
export type { LoopscopeConfig } from "./from-env.js";
export { LoopscopeConfigError } from "./errors.js";
