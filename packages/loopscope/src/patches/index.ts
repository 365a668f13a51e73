export {
  copyFunctionShape,
  isAssignable,
  replaceProperty,
  syncBuiltinImports,
  wrapFunction,
} from "./replace.js";
export type { Replaced } from "./replace.js";
export { recordSkip, sayNewSkips, skippedPatches } from "./skipped.js";
export type { SkippedPatch } from "./skipped.js";
