import { randomUUID } from "node:crypto";

/** One Mayhem Mandrill message as it travels on the wire (JSON). */
export interface MayhemMessage {
  /** A UUID, unique per published message (redeliveries keep it). */
  readonly messageId: string;
  /** The host to restart: `cattle-` and four characters of `[a-z0-9]`. */
  readonly instanceName: string;
  /** When the publisher created the message, as an ISO 8601 string. */
  readonly publishedAt: string;
}

const INSTANCE_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

function instanceCode(random: () => number): number {
  return INSTANCE_ALPHABET.charCodeAt(Math.floor(random() * INSTANCE_ALPHABET.length));
}

let lastMs = Number.NaN;
let lastIso = "";

// Publishers create many messages per millisecond: format each millisecond once.
function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

/** The host name a message is about, as in the article: `cattle-1a2b.example.net`. */
export function hostnameOf(message: MayhemMessage): string {
  return `${message.instanceName}.example.net`;
}

/**
 * Creates a new message for a random `cattle-xxxx` instance.
 *
 * @param random - a source of numbers in [0, 1) (seedable; see `createRandom`).
 * @param now - the publish time, in milliseconds since the epoch.
 */
export function createMessage(random: () => number, now: number = Date.now()): MayhemMessage {
  // The suffix in one step: appending character by character builds a string per step.
  const instanceName = `cattle-${String.fromCharCode(
    instanceCode(random),
    instanceCode(random),
    instanceCode(random),
    instanceCode(random),
  )}`;
  return {
    messageId: randomUUID(),
    instanceName,
    publishedAt: isoTime(now),
  };
}

/** The wire form: UTF-8 JSON with exactly the three fields. */
export function encodeMessage(message: MayhemMessage): Uint8Array {
  // Buffer.from is a Uint8Array, and allocates small payloads from a shared pool.
  return Buffer.from(
    JSON.stringify({
      messageId: message.messageId,
      instanceName: message.instanceName,
      publishedAt: message.publishedAt,
    }),
    "utf8",
  );
}
