import type { MayhemMessage } from "./message.js";

/**
 * The fast path of decoding: a payload laid out exactly as `encodeMessage`
 * writes it is read field by field from its bytes, without decoding the whole
 * text and parsing JSON (a third of the cost of handling a delivery went
 * there). Anything else takes the general path, which is the reference: this
 * one may turn down a valid payload, but never accepts one the general path
 * would refuse, and reads the same three strings JSON.parse would.
 */

type Slice = (this: Uint8Array, start: number, end: number) => string;
// Undocumented but long-standing (Buffer#toString("latin1") goes through it),
// and it reads any Uint8Array, not only Buffers (NATS hands out Uint8Arrays).
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: Slice }).latin1Slice;

function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

const OPEN = bytesOf('{"messageId":"');
const AFTER_ID = bytesOf('","instanceName":"');
const AFTER_NAME = bytesOf('","publishedAt":"');
const CLOSE = bytesOf('"}');
const CATTLE = bytesOf("cattle-");

const ID_START = OPEN.length;
const ID_END = ID_START + 36;
const NAME_START = ID_END + AFTER_ID.length;
const NAME_END = NAME_START + CATTLE.length + 4;
const DATE_START = NAME_END + AFTER_NAME.length;

/** Byte classes, looked up once per byte. */
const HEX = 1;
const NAME_CHAR = 2;
const PLAIN = 4; // printable ASCII that JSON reads as itself inside a string
const CLASSES = new Uint8Array(256);
for (let c = 0x20; c < 0x7f; c++) CLASSES[c] = PLAIN;
CLASSES[0x22] = 0; // `"`
CLASSES[0x5c] = 0; // `\`
for (const c of bytesOf("0123456789abcdefABCDEF")) CLASSES[c]! |= HEX;
for (const c of bytesOf("0123456789abcdefghijklmnopqrstuvwxyz")) CLASSES[c]! |= NAME_CHAR;

function hasAt(data: Uint8Array, offset: number, literal: Uint8Array): boolean {
  for (let i = 0; i < literal.length; i++) if (data[offset + i] !== literal[i]) return false;
  return true;
}

function isUuidAt(data: Uint8Array, start: number): boolean {
  for (let i = 0; i < 36; i++) {
    const c = data[start + i]!;
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false; // `-`
    } else if ((CLASSES[c]! & HEX) === 0) return false;
  }
  return true;
}

function isInstanceNameAt(data: Uint8Array, start: number): boolean {
  if (!hasAt(data, start, CATTLE)) return false;
  for (let i = start + CATTLE.length; i < start + CATTLE.length + 4; i++) {
    if ((CLASSES[data[i]!]! & NAME_CHAR) === 0) return false;
  }
  return true;
}

function isPlainText(data: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((CLASSES[data[i]!]! & PLAIN) === 0) return false;
  return true;
}

/**
 * The message in `data` if it has exactly the layout `encodeMessage` writes,
 * with a valid messageId and instanceName; `undefined` otherwise. publishedAt
 * is only known to be plain text: the caller checks that it is a date.
 */
export function readCanonical(data: Uint8Array): MayhemMessage | undefined {
  const dateEnd = data.length - CLOSE.length;
  if (
    dateEnd <= DATE_START ||
    !hasAt(data, 0, OPEN) ||
    !isUuidAt(data, ID_START) ||
    !hasAt(data, ID_END, AFTER_ID) ||
    !isInstanceNameAt(data, NAME_START) ||
    !hasAt(data, NAME_END, AFTER_NAME) ||
    !isPlainText(data, DATE_START, dateEnd) ||
    !hasAt(data, dateEnd, CLOSE)
  ) {
    return undefined;
  }
  // Every byte read is ASCII, so latin1 reads the same characters as UTF-8.
  return {
    messageId: latin1Slice.call(data, ID_START, ID_END),
    instanceName: latin1Slice.call(data, NAME_START, NAME_END),
    publishedAt: latin1Slice.call(data, DATE_START, dateEnd),
  };
}
