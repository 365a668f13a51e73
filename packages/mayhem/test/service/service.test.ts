import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryBroker } from "../../src/broker/index.js";
import { defaultConfig } from "../../src/config/index.js";
import type { MayhemConfig } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/index.js";
import { decodeMessage, encodeMessage, createMessage } from "../../src/message/index.js";
import type { DeliveryOutcome } from "../../src/service/index.js";
import { createRandom, runService, yieldSleeper } from "../../src/service/index.js";
import { RecordingBroker } from "../helpers/recording-broker.js";

const textOf = (data: Uint8Array): string => new TextDecoder().decode(data);

function testConfig(overrides: Partial<MayhemConfig>): MayhemConfig {
  return { ...defaultConfig(), nackDelayMs: 0, seed: 42, logLevel: "silent", ...overrides };
}

/** Resolves when `until()` holds after an outcome. */
function outcomes(until: (counts: Map<DeliveryOutcome, number>) => boolean) {
  const counts = new Map<DeliveryOutcome, number>();
  let resolve: () => void = () => {};
  const reached = new Promise<void>((r) => {
    resolve = r;
  });
  return {
    counts,
    reached,
    onOutcome(outcome: DeliveryOutcome) {
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      if (until(counts)) resolve();
    },
  };
}

describe("service end to end on the MemoryBroker", () => {
  it("settles every one of N messages exactly once: acked once, or dead-lettered; none lost", async () => {
    const N = 2000;
    const memory = new MemoryBroker({ maxDeliveries: 3 });
    const broker = new RecordingBroker(memory);
    const config = testConfig({ publishCount: N, maxDeliveries: 3, maxInFlight: 100 });
    let settled = 0;
    let done: () => void = () => {};
    const allSettled = new Promise<void>((r) => {
      done = r;
    });
    const service = runService(config, broker, silentLogger(), {
      sleeper: yieldSleeper,
      quiet: true,
      onOutcome: (outcome, delivery) => {
        const final =
          outcome === "acked" ||
          (outcome === "nacked" && delivery.deliveryAttempt >= config.maxDeliveries);
        if (final && ++settled === N) done();
      },
    });
    await allSettled;
    const result = await service.shutdown("test done");

    assert.equal(broker.published.length, N);
    const stats = memory.stats();
    const deadIds = new Set(memory.deadLetters().map((d) => d.id));
    assert.equal(deadIds.size, stats.deadLettered);
    assert.ok(stats.redelivered > 0, "seeded failures caused redeliveries");
    assert.ok(result.stats.restartRetries > 0, "seeded restart failures were retried");
    for (const [id, count] of broker.acks) {
      assert.equal(count, 1, `message ${id} acked exactly once`);
      assert.ok(!deadIds.has(id), `message ${id} both acked and dead-lettered`);
    }
    assert.equal(broker.acks.size + deadIds.size, N, "every message acked or dead-lettered");
    // Payloads: the settled ones are exactly the published ones.
    const publishedIds = new Set(broker.published.map((d) => decodeMessage(d).messageId));
    const deadMessageIds = memory.deadLetters().map((d) => decodeMessage(d.data).messageId);
    assert.equal(publishedIds.size, N);
    for (const id of deadMessageIds) assert.ok(publishedIds.has(id));
    assert.equal(stats.acked, broker.acks.size);
    assert.equal(stats.lateSettlements, 0, "no settlement of a lease no longer held");
    assert.equal(stats.outstanding, 0);
    assert.equal(result.nacked, 0);
    assert.equal(result.stats.acked, broker.acks.size);
  });

  it("terminates and counts each kind of malformed message, and goes on", async () => {
    const broker = new MemoryBroker();
    const bad = [
      "not json",
      JSON.stringify({ instanceName: "cattle-abcd", publishedAt: new Date().toISOString() }),
      JSON.stringify({
        messageId: "3bd02361-8dc3-4ef1-ae7c-b68a9a3b1989",
        instanceName: "web-01",
        publishedAt: new Date().toISOString(),
      }),
      "x".repeat(300),
    ];
    const good = [1, 2, 3].map(() => encodeMessage(createMessage(createRandom(1))));
    for (const text of bad) await broker.publish(new TextEncoder().encode(text));
    for (const data of good) await broker.publish(data);
    const watch = outcomes((c) => (c.get("malformed") ?? 0) + (c.get("acked") ?? 0) === 7);
    const service = runService(
      testConfig({ maxMessageBytes: 256, saveFailureProbability: 0, restartFailureProbability: 0 }),
      broker,
      silentLogger(),
      {
        sleeper: yieldSleeper,
        quiet: true,
        publish: false,
        onOutcome: (outcome) => watch.onOutcome(outcome),
      },
    );
    await watch.reached;
    const result = await service.shutdown("test done");
    assert.equal(result.stats.malformed, 4);
    assert.equal(result.stats.acked, 3, "the good messages after the bad ones were handled");
    const stats = broker.stats();
    assert.equal(stats.terminated, 4);
    assert.equal(stats.redelivered, 0, "a malformed message is never redelivered");
    const reasons = broker.deadLetters().map((d) => [textOf(d.data).slice(0, 8), d.reason]);
    assert.equal(reasons.length, 4);
    const byReason = reasons.map(([, reason]) => reason).join("\n");
    // The broker keeps the reason given to term(), after its own prefix.
    assert.match(byReason, /\binvalid JSON: Unexpected token/);
    assert.match(byReason, /\bmissing field messageId$/m);
    assert.match(byReason, /\binstanceName must match cattle-\[a-z0-9\]\{4\}, got "web-01"$/m);
    assert.match(byReason, /\bpayload of 300 bytes exceeds the limit of 256$/m);
  });

  it("bounds the messages in flight and nacks them all at shutdown", async () => {
    const broker = new MemoryBroker();
    for (let i = 0; i < 50; i++)
      await broker.publish(encodeMessage(createMessage(createRandom(i))));
    // Actions that never finish on their own: only shutdown (their signal) ends them.
    const untilAborted = (_m: unknown, signal: AbortSignal): Promise<void> =>
      new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
      });
    const service = runService(testConfig({ maxInFlight: 10 }), broker, silentLogger(), {
      quiet: true,
      publish: false,
      actions: { save: untilAborted, restartHost: untilAborted },
    });
    while (service.stats().pulled < 10) await new Promise((r) => setImmediate(r));
    // Give the consumer turns to (wrongly) pull more.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(service.inFlight, 10);
    assert.equal(broker.stats().outstanding, 10);
    const result = await service.shutdown("test");
    assert.equal(result.nacked, 10);
    assert.equal(broker.stats().nacked, 10);
    assert.equal(broker.stats().acked, 0);
    assert.equal(await service.closed, result);
  });
});
