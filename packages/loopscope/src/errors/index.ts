export { ErrorCode } from "./codes.js";
export { LoopscopeError } from "./loopscope-error.js";
