import { ErrorCode, MayhemError } from "../errors/index.js";
import { readCanonical } from "./canonical.js";
import type { MayhemMessage } from "./message.js";

/**
 * A payload that is not a valid Mayhem message. `reason` says precisely why
 * (it is logged and kept with the terminated message).
 */
export class MalformedMessageError extends MayhemError {
  constructor(readonly reason: string) {
    super(ErrorCode.malformedMessage, `malformed message: ${reason}`);
  }
}

/** Default bound on a payload's size: a valid message is about 120 bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4096;

const decoder = new TextDecoder("utf-8", { fatal: true });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INSTANCE_NAME = /^cattle-[a-z0-9]{4}$/;
// ISO 8601 as Date#toISOString writes it, with optional offset instead of Z.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

// Messages published in the same millisecond share their date: check each one once.
let lastValidDate = "";

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

function stringField(record: Record<string, unknown>, field: string): string {
  const value = record[field];
  if (value === undefined) throw new MalformedMessageError(`missing field ${field}`);
  if (typeof value !== "string") {
    throw new MalformedMessageError(`${field} must be a string, got ${describe(value)}`);
  }
  return value;
}

/**
 * Decodes and validates one payload. Hand-written checks, no schema library:
 * this runs once per delivery, on the hot path. A payload as `encodeMessage`
 * writes it is read straight from its bytes (see `readCanonical`); any other
 * goes through UTF-8 decoding and JSON.parse. Unknown extra fields are ignored
 * (forward compatibility); the returned object carries only the known ones.
 *
 * @throws {MalformedMessageError} with a precise `reason`, e.g.
 *   `invalid JSON: Unexpected token ...`, `missing field messageId`,
 *   `instanceName must match cattle-[a-z0-9]{4}, got "web-1"`,
 *   `payload of 5000 bytes exceeds the limit of 4096`.
 */
export function decodeMessage(
  data: Uint8Array,
  maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES,
): MayhemMessage {
  // Checked before decoding so that an oversized payload costs nothing to reject.
  if (data.byteLength > maxBytes) {
    throw new MalformedMessageError(
      `payload of ${data.byteLength} bytes exceeds the limit of ${maxBytes}`,
    );
  }
  const canonical = readCanonical(data);
  if (canonical !== undefined) {
    checkPublishedAt(canonical.publishedAt);
    return canonical;
  }
  let text: string;
  try {
    text = decoder.decode(data);
  } catch {
    throw new MalformedMessageError("invalid UTF-8");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MalformedMessageError(`invalid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new MalformedMessageError(`message must be a JSON object, got ${describe(parsed)}`);
  }
  const record = parsed as Record<string, unknown>;
  const messageId = stringField(record, "messageId");
  const instanceName = stringField(record, "instanceName");
  const publishedAt = stringField(record, "publishedAt");
  if (!UUID.test(messageId)) {
    throw new MalformedMessageError(`messageId must be a UUID, got ${quote(messageId)}`);
  }
  if (!INSTANCE_NAME.test(instanceName)) {
    throw new MalformedMessageError(
      `instanceName must match cattle-[a-z0-9]{4}, got ${quote(instanceName)}`,
    );
  }
  checkPublishedAt(publishedAt);
  return { messageId, instanceName, publishedAt };
}

function checkPublishedAt(publishedAt: string): void {
  if (publishedAt === lastValidDate) return;
  if (!ISO_DATE.test(publishedAt) || Number.isNaN(Date.parse(publishedAt))) {
    throw new MalformedMessageError(
      `publishedAt must be an ISO 8601 date-time, got ${quote(publishedAt)}`,
    );
  }
  lastValidDate = publishedAt;
}
