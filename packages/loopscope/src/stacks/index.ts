export {
  captureStack,
  captureCallerStack,
  resolveStack,
  withFrameCache,
  parseStack,
  isInternalFile,
  isLoopscopeFile,
} from "./frames.js";
export type { RawStack } from "./frames.js";
export { setPrepareStackTrace, setStackTraceLimit } from "./error-settings.js";
export { mapPosition, clearSourceMapCache, nodeMapsStackText } from "./source-maps.js";
export type { OriginalPosition } from "./source-maps.js";
export { errorInfo } from "./error-info.js";
