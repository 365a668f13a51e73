export { ErrorCode } from "./codes.js";
export { MayhemError } from "./mayhem-error.js";
