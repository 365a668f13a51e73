export {
  captureStack,
  resolveStack,
  parseStack,
  isInternalFile,
  isLoopscopeFile,
} from "./frames.js";
export type { RawStack } from "./frames.js";
export { setPrepareStackTrace, setStackTraceLimit } from "./error-settings.js";
export { mapPosition, clearSourceMapCache, nodeMapsStackText } from "./source-maps.js";
export type { OriginalPosition } from "./source-maps.js";
export { errorInfo } from "./error-info.js";
export { renderFrames, renderEvent, formatFrame, displayPath } from "./render.js";
export type { RenderFramesOptions } from "./render.js";
export { renderDump } from "./dump-text.js";
export type * from "./types.js";
