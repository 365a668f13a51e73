export { PROTOCOL_VERSION } from "./version.js";
export { isApplicationFrame } from "./frames.js";
export type * from "./schema.js";
export type * from "./inspector.js";
