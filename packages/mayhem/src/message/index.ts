export type { MayhemMessage } from "./message.js";
export { createMessage, encodeMessage, hostnameOf } from "./message.js";
export { DEFAULT_MAX_MESSAGE_BYTES, MalformedMessageError, decodeMessage } from "./decode.js";
