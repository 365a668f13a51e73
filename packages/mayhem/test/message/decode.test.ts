import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MalformedMessageError,
  createMessage,
  decodeMessage,
  encodeMessage,
  hostnameOf,
} from "../../src/message/index.js";
import { createRandom } from "../../src/service/index.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const valid = {
  messageId: "3bd02361-8dc3-4ef1-ae7c-b68a9a3b1989",
  instanceName: "cattle-1gw8",
  publishedAt: "2024-05-01T12:00:00.000Z",
};

function reasonOf(data: Uint8Array, maxBytes?: number): string {
  try {
    decodeMessage(data, maxBytes);
  } catch (error) {
    assert.ok(error instanceof MalformedMessageError);
    assert.equal(error.code, "MAYHEM_ERR_MALFORMED_MESSAGE");
    return error.reason;
  }
  assert.fail("expected the payload to be rejected");
}

describe("message", () => {
  it("round-trips a created message through the wire form", () => {
    const message = createMessage(createRandom(1));
    assert.match(message.instanceName, /^cattle-[a-z0-9]{4}$/);
    assert.deepEqual(decodeMessage(encodeMessage(message)), message);
    assert.equal(hostnameOf(message), `${message.instanceName}.example.net`);
  });

  it("creates the same instance names from the same seed", () => {
    const a = createRandom(7);
    const b = createRandom(7);
    assert.equal(createMessage(a).instanceName, createMessage(b).instanceName);
  });

  it("ignores unknown fields and keeps only the known ones", () => {
    const decoded = decodeMessage(bytes(JSON.stringify({ ...valid, extra: 1 })));
    assert.deepEqual(decoded, valid);
  });

  it("gives a precise reason for each kind of malformed payload", () => {
    assert.match(reasonOf(bytes("{nope")), /^invalid JSON: /);
    assert.equal(reasonOf(new Uint8Array([0xff, 0xfe])), "invalid UTF-8");
    assert.equal(reasonOf(bytes("[1,2]")), "message must be a JSON object, got array");
    assert.equal(reasonOf(bytes("null")), "message must be a JSON object, got null");
    const { messageId: _m, ...noId } = valid;
    assert.equal(reasonOf(bytes(JSON.stringify(noId))), "missing field messageId");
    assert.equal(
      reasonOf(bytes(JSON.stringify({ ...valid, messageId: 42 }))),
      "messageId must be a string, got number",
    );
    assert.equal(
      reasonOf(bytes(JSON.stringify({ ...valid, messageId: "abc" }))),
      'messageId must be a UUID, got "abc"',
    );
    assert.equal(
      reasonOf(bytes(JSON.stringify({ ...valid, instanceName: "web-1" }))),
      'instanceName must match cattle-[a-z0-9]{4}, got "web-1"',
    );
    assert.equal(
      reasonOf(bytes(JSON.stringify({ ...valid, publishedAt: "yesterday" }))),
      'publishedAt must be an ISO 8601 date-time, got "yesterday"',
    );
    assert.equal(
      reasonOf(bytes(JSON.stringify({ ...valid, publishedAt: "2024-13-45T99:00:00Z" }))),
      'publishedAt must be an ISO 8601 date-time, got "2024-13-45T99:00:00Z"',
    );
    assert.equal(
      reasonOf(new Uint8Array(5000), 4096),
      "payload of 5000 bytes exceeds the limit of 4096",
    );
  });

  it("reads a payload laid out as encodeMessage writes it exactly as the general path does", () => {
    // A leading space is valid JSON but not the canonical layout: it forces the general path.
    const general = (data: Uint8Array): Uint8Array => new Uint8Array([0x20, ...data]);
    const outcome = (data: Uint8Array): unknown => {
      try {
        return decodeMessage(data);
      } catch (error) {
        assert.ok(error instanceof MalformedMessageError);
        // JSON.parse names the position, which the leading space shifts.
        return error.reason.startsWith("invalid JSON") ? "invalid JSON" : error.reason;
      }
    };
    const random = createRandom(3);
    const candidates = [0x22, 0x5c, 0x2d, 0x41, 0x61, 0x7a, 0x30, 0x20, 0x7f, 0x0a, 0xc3, 0xff];
    let decoded = 0;
    for (let i = 0; i < 3000; i++) {
      const data = encodeMessage(createMessage(random));
      // A plain Uint8Array, as the NATS client hands out, not a Buffer.
      const mutated = new Uint8Array(data);
      if (i % 3 !== 0) {
        const at = Math.floor(random() * mutated.length);
        mutated[at] = candidates[Math.floor(random() * candidates.length)]!;
      }
      const fast = outcome(mutated);
      assert.deepEqual(
        fast,
        outcome(general(mutated)),
        `payload ${new TextDecoder().decode(mutated)}`,
      );
      if (typeof fast === "object") decoded++;
    }
    assert.ok(decoded > 1000, "most payloads still decode");
  });
});
