export { PROTOCOL_VERSION } from "./version.js";
export type * from "./schema.js";
