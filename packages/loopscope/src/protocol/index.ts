export { PROTOCOL_VERSION } from "./version.js";
export { isApplicationFrame } from "./frames.js";
export type * from "./schema.js";
