import { InvalidValue } from "./errors.js";
import type { Parser } from "./parsers.js";
import { onOff } from "./parsers.js";

const NATS_URL_EXAMPLE = "nats://127.0.0.1:4222";

/**
 * The `broker` knob: `memory`, or the URL of a NATS server with JetStream
 * (`nats://host:port`, `tls://host:port`, a comma-separated list for a cluster).
 * Returns `memory` or the URL text as given (trimmed).
 */
export const brokerSpec: Parser<string> = (raw) => {
  const text = raw.trim();
  if (text.toLowerCase() === "memory") return "memory";
  const expected = `memory, or a NATS server URL such as ${NATS_URL_EXAMPLE}`;
  if (text === "") throw new InvalidValue(expected);
  for (const server of text.split(",")) {
    let url: URL;
    try {
      url = new URL(server.trim());
    } catch {
      throw new InvalidValue(expected);
    }
    if (!["nats:", "tls:"].includes(url.protocol) || url.hostname === "") {
      throw new InvalidValue(expected);
    }
  }
  return text;
};

/** Whether a resolved `broker` value names a NATS server. */
export function isNatsBroker(broker: string): boolean {
  return broker !== "memory";
}

// JetStream names become tokens of API subjects: no whitespace, dots or wildcards.
const NAME = /^[^\s.*>/\\]+$/;
// A subject messages are published on: dot-separated tokens, no wildcards.
const SUBJECT = /^[^\s.*>]+(\.[^\s.*>]+)*$/;

/** A JetStream stream or consumer name. */
export const natsName: Parser<string> = (raw) => {
  const text = raw.trim();
  if (!NAME.test(text)) {
    throw new InvalidValue("a JetStream name without whitespace, '.', '*', '>', '/' or '\\'");
  }
  return text;
};

/** A NATS subject without wildcards, such as `mayhem.restart`. */
export const natsSubject: Parser<string> = (raw) => {
  const text = raw.trim();
  if (!SUBJECT.test(text)) {
    throw new InvalidValue("a NATS subject such as mayhem.restart (no wildcards or whitespace)");
  }
  return text;
};

/** `auto`, or a yes/no word; an empty value (a bare `--publish`) means yes. */
export const autoOrBoolean: Parser<"auto" | boolean> = (raw) => {
  if (raw.trim().toLowerCase() === "auto") return "auto";
  try {
    return onOff(raw);
  } catch {
    throw new InvalidValue("auto, true or false");
  }
};
