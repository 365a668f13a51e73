export type { MayhemMessage } from "./message.js";
export { createMessage, encodeMessage, hostnameOf } from "./message.js";
export { MalformedMessageError, decodeMessage } from "./decode.js";
