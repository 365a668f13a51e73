import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryBroker, type MemoryMessage } from "../../src/broker/index.js";
import { createFakeClock, flush } from "./memory-fake-clock.js";

/** mulberry32: a small seeded PRNG, so every run of a seed is the same run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Puller {
  readonly held: MemoryMessage[];
  /** Abort controller of the pull in flight, if any. */
  inFlight: AbortController | undefined;
}

const limits = { maxInFlight: 6, maxDeliveries: 3, ackDeadlineMs: 100, maxDeadLetters: 100_000 };

/**
 * Several pullers pull, ack, nack (with and without delay), terminate, extend,
 * let deadlines pass and settle stale leases, in a random order drawn from a
 * seed; after every step the broker's invariants must hold, and in the end
 * every message is acked exactly once or dead-lettered exactly once.
 */
async function runScenario(seed: number, steps: number): Promise<void> {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const clock = createFakeClock();
  const broker = new MemoryBroker({ clock, ...limits });
  const pullers: Puller[] = Array.from({ length: 4 }, () => ({ held: [], inFlight: undefined }));
  /** The latest delivery of each message id, and how many times each was acked by a current lease. */
  const latest = new Map<string, MemoryMessage>();
  const ackedIds = new Map<string, number>();
  let published = 0;
  let expectedLate = 0;
  const context = (): string => `seed ${seed}`;

  const receive = (puller: Puller, batch: MemoryMessage[]): void => {
    for (const message of batch) {
      // Never held by two at once: the previous delivery of this id is no longer held.
      const previous = latest.get(message.id);
      if (previous !== undefined) {
        assert.equal(previous.held, false, `${context()}: ${message.id} held twice`);
        assert.equal(
          message.deliveryAttempt,
          previous.deliveryAttempt + 1,
          `${context()}: attempt counter`,
        );
      } else {
        assert.equal(message.deliveryAttempt, 1, context());
      }
      assert.ok(
        message.deliveryAttempt <= limits.maxDeliveries,
        `${context()}: delivered past maxDeliveries`,
      );
      latest.set(message.id, message);
      puller.held.push(message);
    }
  };

  const startPull = (puller: Puller): void => {
    const controller = new AbortController();
    puller.inFlight = controller;
    const expiresMs = random() < 0.3 ? Math.floor(random() * 200) : undefined;
    void broker
      .pull({ max: 1 + Math.floor(random() * 4), signal: controller.signal, expiresMs })
      .then((batch) => {
        if (puller.inFlight === controller) puller.inFlight = undefined;
        receive(puller, batch);
      });
  };

  const settleOne = (puller: Puller): void => {
    const index = Math.floor(random() * puller.held.length);
    const message = puller.held[index]!;
    const isCurrent = message.held;
    const roll = random();
    let done = true;
    if (roll < 0.45) {
      message.ack();
      if (isCurrent) ackedIds.set(message.id, (ackedIds.get(message.id) ?? 0) + 1);
    } else if (roll < 0.6) message.nack();
    else if (roll < 0.72) message.nack(1 + Math.floor(random() * 300));
    else if (roll < 0.77) message.term("random poison");
    else {
      message.extendDeadline();
      done = false;
    }
    if (!isCurrent) expectedLate++;
    if (done || !isCurrent) puller.held.splice(index, 1);
  };

  const checkInvariants = (): void => {
    const stats = broker.stats();
    const heldNow = pullers.flatMap((p) => p.held).filter((m) => m.held);
    assert.equal(stats.outstanding, heldNow.length, `${context()}: outstanding`);
    assert.equal(
      new Set(heldNow.map((m) => m.id)).size,
      heldNow.length,
      `${context()}: an id held twice`,
    );
    assert.ok(stats.outstanding <= limits.maxInFlight, `${context()}: maxInFlight exceeded`);
    assert.equal(stats.published, published, context());
    assert.equal(
      stats.published,
      stats.acked + stats.deadLettered + stats.pending + stats.outstanding,
      `${context()}: counts do not add up`,
    );
    assert.equal(stats.lateSettlements, expectedLate, `${context()}: late settlements`);
  };

  for (let step = 0; step < steps; step++) {
    const roll = random();
    const puller = pick(pullers);
    if (roll < 0.25) {
      void broker.publish(new Uint8Array([step & 0xff]));
      published++;
    } else if (roll < 0.45) {
      if (puller.inFlight === undefined) startPull(puller);
    } else if (roll < 0.5) {
      puller.inFlight?.abort();
    } else if (roll < 0.8) {
      if (puller.held.length > 0) settleOne(puller);
    } else {
      clock.tick(Math.floor(random() * 60));
    }
    await flush();
    checkInvariants();
  }

  // Wind down: abort pulls, then keep pulling and acking until everything is settled.
  for (const p of pullers) p.inFlight?.abort();
  await flush();
  for (let round = 0; broker.stats().pending + broker.stats().outstanding > 0; round++) {
    assert.ok(round < 10_000, `${context()}: did not settle`);
    clock.tick(limits.ackDeadlineMs); // expire forgotten leases, release delayed nacks
    const batch = await broker.pull({ max: 10, expiresMs: 0 });
    receive(pullers[0]!, batch);
    for (const message of batch) {
      message.ack();
      ackedIds.set(message.id, (ackedIds.get(message.id) ?? 0) + 1);
    }
    pullers[0]!.held.length = 0;
    checkInvariants();
  }

  const stats = broker.stats();
  const deadIds = broker.deadLetters().map((l) => l.id);
  assert.equal(new Set(deadIds).size, deadIds.length, `${context()}: dead-lettered twice`);
  for (const id of deadIds)
    assert.ok(!ackedIds.has(id), `${context()}: ${id} both acked and dead-lettered`);
  for (const [id, count] of ackedIds)
    assert.equal(count, 1, `${context()}: ${id} acked ${count} times`);
  assert.equal(ackedIds.size + deadIds.length, published, `${context()}: a message vanished`);
  assert.equal(stats.acked, ackedIds.size);
  assert.equal(stats.deadLettered, deadIds.length);
  assert.equal(
    stats.delivered,
    stats.published + stats.redelivered,
    `${context()}: delivered = first deliveries + redeliveries`,
  );
  assert.equal(
    stats.nacked + stats.expired + stats.terminated + stats.acked,
    stats.delivered,
    `${context()}: every delivery ends once`,
  );
  await broker.close();
  assert.equal(clock.pendingTimers(), 0);
}

describe("MemoryBroker under random interleavings (seeded)", () => {
  for (let seed = 1; seed <= 25; seed++) {
    it(`keeps its invariants, seed ${seed}`, async () => {
      await runScenario(seed, 400);
    });
  }
});
