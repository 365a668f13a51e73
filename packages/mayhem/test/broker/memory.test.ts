import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { getEventListeners, once } from "node:events";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { describe, it } from "node:test";
import {
  BrokerClosedError,
  BrokerError,
  MemoryBroker,
  systemClock,
  type MemoryMessage,
} from "../../src/broker/index.js";
import { bytes, createFakeClock, flush, text } from "./memory-fake-clock.js";

function setup(options: ConstructorParameters<typeof MemoryBroker>[0] = {}) {
  const clock = createFakeClock();
  const broker = new MemoryBroker({ clock, ...options });
  return { clock, broker };
}

async function publishAll(broker: MemoryBroker, ...payloads: string[]): Promise<void> {
  for (const p of payloads) await broker.publish(bytes(p));
}

/** Pulls without waiting: whatever is deliverable right now. */
function pullNow(broker: MemoryBroker, max = 100): Promise<MemoryMessage[]> {
  return broker.pull({ max, expiresMs: 0 });
}

async function pullOne(broker: MemoryBroker): Promise<MemoryMessage> {
  const batch = await pullNow(broker, 1);
  assert.equal(batch.length, 1, "expected one message to be deliverable");
  return batch[0]!;
}

describe("MemoryBroker", () => {
  describe("publish and pull", () => {
    it("delivers payloads as published, in order, with stable ids and attempt 1", async () => {
      const { broker } = setup();
      await publishAll(broker, "a", "b", "c");
      const batch = await broker.pull({ max: 10 });
      assert.deepEqual(
        batch.map((m) => text(m.data)),
        ["a", "b", "c"],
      );
      assert.deepEqual(
        batch.map((m) => m.deliveryAttempt),
        [1, 1, 1],
      );
      assert.equal(new Set(batch.map((m) => m.id)).size, 3);
      assert.equal(broker.kind, "memory");
      await broker.close();
    });

    it("keeps the payload bytes it was given", async () => {
      const { broker } = setup();
      const data = new Uint8Array([0, 255, 7]);
      await broker.publish(data);
      const [message] = await pullNow(broker);
      assert.deepEqual(message!.data, data);
      await broker.close();
    });

    it("serves at most `max` per pull and as many as available", async () => {
      const { broker } = setup();
      await publishAll(broker, "1", "2", "3", "4", "5");
      assert.equal((await broker.pull({ max: 2 })).length, 2);
      assert.equal((await broker.pull({ max: 10 })).length, 3);
      assert.deepEqual(await pullNow(broker), []);
      await broker.close();
    });

    it("resolves a waiting pull when a message is published", async () => {
      const { broker } = setup();
      const pending = broker.pull({ max: 5 });
      await flush();
      assert.equal(broker.stats().waitingPulls, 1);
      await publishAll(broker, "late");
      const batch = await pending;
      assert.deepEqual(
        batch.map((m) => text(m.data)),
        ["late"],
      );
      assert.equal(broker.stats().waitingPulls, 0);
      await broker.close();
    });

    it("fills one batch from a burst of publishes in the same tick", async () => {
      const { broker } = setup();
      const pending = broker.pull({ max: 10 });
      void broker.publish(bytes("x"));
      void broker.publish(bytes("y"));
      void broker.publish(bytes("z"));
      assert.equal((await pending).length, 3);
      await broker.close();
    });

    it("rejects a payload that is not a Uint8Array with a TypeError", async () => {
      const { broker } = setup();
      await assert.rejects(broker.publish("text" as unknown as Uint8Array), {
        name: "TypeError",
        message: /data must be a Uint8Array; received 'text'/,
      });
      await broker.close();
    });
  });

  describe("ack deadlines", () => {
    it("redelivers a message whose deadline passes, with the attempt counter one higher", async () => {
      const { broker, clock } = setup({ ackDeadlineMs: 10_000 });
      await publishAll(broker, "m");
      const first = await pullOne(broker);
      clock.tick(9_999);
      assert.deepEqual(await pullNow(broker), []);
      clock.tick(1);
      const second = await pullOne(broker);
      assert.equal(second.id, first.id);
      assert.equal(second.deliveryAttempt, 2);
      assert.equal(text(second.data), "m");
      const stats = broker.stats();
      assert.equal(stats.expired, 1);
      assert.equal(stats.redelivered, 1);
      assert.equal(stats.delivered, 2);
      await broker.close();
    });

    it("defaults the ack deadline to 10 s", async () => {
      const { broker, clock } = setup();
      await publishAll(broker, "m");
      await pullOne(broker);
      clock.tick(9_999);
      assert.equal(broker.stats().expired, 0);
      clock.tick(1);
      assert.equal(broker.stats().expired, 1);
      await broker.close();
    });

    it("does not redeliver while the holder keeps extending the deadline", async () => {
      const { broker, clock } = setup({ ackDeadlineMs: 1_000 });
      await publishAll(broker, "m");
      const message = await pullOne(broker);
      for (let i = 0; i < 10; i++) {
        clock.tick(900);
        message.extendDeadline();
      }
      assert.deepEqual(await pullNow(broker), []);
      assert.equal(broker.stats().expired, 0);
      // A full period after the last extension, it expires.
      clock.tick(999);
      assert.equal(broker.stats().expired, 0);
      clock.tick(1);
      assert.equal(broker.stats().expired, 1);
      await broker.close();
    });

    it("expires each lease at its own deadline, earliest first", async () => {
      const { broker, clock } = setup({ ackDeadlineMs: 100 });
      await publishAll(broker, "a", "b", "c");
      const [a, b, c] = await pullNow(broker);
      clock.tick(50);
      a!.extendDeadline(); // a now expires at 150, b and c at 100
      clock.tick(50);
      assert.equal(broker.stats().expired, 2);
      assert.ok(a!.held);
      assert.ok(!b!.held && !c!.held);
      clock.tick(50);
      assert.equal(broker.stats().expired, 3);
      await broker.close();
    });

    it("never lets a stale lease settle the message's newer delivery", async () => {
      const { broker, clock } = setup({ ackDeadlineMs: 100 });
      await publishAll(broker, "m");
      const stale = await pullOne(broker);
      clock.tick(100);
      const current = await pullOne(broker);
      stale.ack();
      stale.nack();
      stale.term("nope");
      stale.extendDeadline();
      assert.equal(broker.stats().lateSettlements, 4);
      assert.equal(broker.stats().acked, 0);
      assert.ok(current.held);
      current.ack();
      const stats = broker.stats();
      assert.equal(stats.acked, 1);
      assert.equal(stats.outstanding, 0);
      assert.equal(stats.deadLettered, 0);
      await broker.close();
    });
  });

  describe("settlement", () => {
    it("ack is final: no redelivery, later settlements are late", async () => {
      const { broker, clock } = setup({ ackDeadlineMs: 100 });
      await publishAll(broker, "m");
      const message = await pullOne(broker);
      message.ack();
      assert.equal(message.held, false);
      clock.tick(10_000);
      assert.deepEqual(await pullNow(broker), []);
      message.ack();
      message.nack();
      assert.equal(broker.stats().lateSettlements, 2);
      assert.equal(broker.stats().acked, 1);
      assert.equal(broker.stats().expired, 0);
      await broker.close();
    });

    it("nack redelivers at once, ahead of newer messages", async () => {
      const { broker } = setup();
      await publishAll(broker, "first", "second");
      const first = await pullOne(broker);
      first.nack();
      const again = await pullOne(broker);
      assert.equal(text(again.data), "first");
      assert.equal(again.deliveryAttempt, 2);
      assert.equal(broker.stats().nacked, 1);
      await broker.close();
    });

    it("nack with a delay redelivers only once the delay has passed", async () => {
      const { broker, clock } = setup();
      await publishAll(broker, "m");
      (await pullOne(broker)).nack(500);
      assert.equal(broker.stats().pending, 1);
      assert.equal(broker.stats().delayed, 1);
      const waiting = broker.pull({ max: 1 });
      clock.tick(499);
      await flush();
      assert.equal(broker.stats().waitingPulls, 1);
      clock.tick(1);
      const [again] = await waiting;
      assert.equal(again!.deliveryAttempt, 2);
      assert.equal(broker.stats().delayed, 0);
      await broker.close();
    });

    it("redelivers delayed nacks in order of their due time, whatever the order of the nacks", async () => {
      const { broker, clock } = setup();
      await publishAll(broker, "slow", "fast", "mid");
      const [slow, fast, mid] = await pullNow(broker);
      slow!.nack(300);
      fast!.nack(100);
      mid!.nack(200);
      const order: string[] = [];
      for (let i = 0; i < 3; i++) {
        clock.tick(100);
        for (const m of await pullNow(broker)) order.push(text(m.data));
      }
      assert.deepEqual(order, ["fast", "mid", "slow"]);
      await broker.close();
    });

    it("rejects a bad nack delay with a TypeError", async () => {
      const { broker } = setup();
      await publishAll(broker, "m");
      const message = await pullOne(broker);
      assert.throws(() => message.nack(-1), { name: "TypeError", message: /delayMs.*received -1/ });
      assert.throws(() => message.nack(Number.NaN), TypeError);
      assert.ok(message.held);
      await broker.close();
    });

    it("term dead-letters the message with its reason, without redelivery", async () => {
      const { broker, clock } = setup({ ackDeadlineMs: 100 });
      await publishAll(broker, "poison", "plain");
      const [poison, plain] = await pullNow(broker);
      poison!.term("cannot parse");
      plain!.term();
      clock.tick(1_000);
      assert.deepEqual(await pullNow(broker), []);
      const letters = broker.deadLetters();
      assert.deepEqual(
        letters.map((l) => [text(l.data), l.reason, l.deliveries]),
        [
          ["poison", "terminated: cannot parse", 1],
          ["plain", "terminated: no reason given", 1],
        ],
      );
      assert.equal(letters[0]!.id, poison!.id);
      assert.equal(letters[0]!.at, clock.now() - 1_000);
      assert.equal(broker.stats().terminated, 2);
      assert.equal(broker.stats().deadLettered, 2);
      await broker.close();
    });
  });

  describe("delivery counter and dead letters", () => {
    it("counts every delivery, whether redelivered by nack or by expiry", async () => {
      const { broker, clock } = setup({ ackDeadlineMs: 100, maxDeliveries: 10 });
      await publishAll(broker, "m");
      const attempts: number[] = [];
      for (let i = 0; i < 4; i++) {
        const m = await pullOne(broker);
        attempts.push(m.deliveryAttempt);
        if (i % 2 === 0) m.nack();
        else clock.tick(100);
      }
      assert.deepEqual(attempts, [1, 2, 3, 4]);
      await broker.close();
    });

    it("dead-letters after max deliveries when the last one is nacked", async () => {
      const { broker } = setup({ maxDeliveries: 3 });
      await publishAll(broker, "m");
      for (let attempt = 1; attempt <= 3; attempt++) {
        const m = await pullOne(broker);
        assert.equal(m.deliveryAttempt, attempt);
        m.nack(attempt === 3 ? 1_000 : 0);
      }
      assert.deepEqual(await pullNow(broker), []);
      const [letter] = broker.deadLetters();
      assert.equal(letter!.reason, "max deliveries (3) reached after nack");
      assert.equal(letter!.deliveries, 3);
      const stats = broker.stats();
      assert.equal(stats.pending, 0);
      assert.equal(stats.delayed, 0);
      assert.equal(stats.deadLettered, 1);
      assert.equal(stats.nacked, 3);
      await broker.close();
    });

    it("dead-letters after max deliveries when the last deadline expires", async () => {
      const { broker, clock } = setup({ maxDeliveries: 2, ackDeadlineMs: 50 });
      await publishAll(broker, "m");
      await pullOne(broker);
      clock.tick(50);
      await pullOne(broker);
      clock.tick(50);
      assert.deepEqual(await pullNow(broker), []);
      const [letter] = broker.deadLetters();
      assert.equal(letter!.reason, "max deliveries (2) reached after deadline expiry");
      assert.equal(letter!.deliveries, 2);
      assert.equal(broker.stats().expired, 2);
      await broker.close();
    });

    it("bounds the dead-letter list, dropping the oldest and counting them", async () => {
      const { broker } = setup({ maxDeadLetters: 2 });
      await publishAll(broker, "1", "2", "3", "4");
      for (const m of await pullNow(broker)) m.term(text(m.data));
      const letters = broker.deadLetters();
      assert.deepEqual(
        letters.map((l) => l.reason),
        ["terminated: 3", "terminated: 4"],
      );
      assert.equal(broker.stats().deadLettered, 4);
      assert.equal(broker.stats().deadLettersDropped, 2);
      // A fresh copy: changing it does not change the broker's list.
      letters.length = 0;
      assert.equal(broker.deadLetters().length, 2);
      assert.ok(Object.isFrozen(broker.deadLetters()[0]));
      await broker.close();
    });

    it("keeps no dead letters when maxDeadLetters is 0, but still counts them", async () => {
      const { broker } = setup({ maxDeadLetters: 0 });
      await publishAll(broker, "1");
      (await pullOne(broker)).term();
      assert.deepEqual(broker.deadLetters(), []);
      assert.equal(broker.stats().deadLettered, 1);
      assert.equal(broker.stats().deadLettersDropped, 1);
      await broker.close();
    });
  });

  describe("concurrent pullers", () => {
    it("gives each message to exactly one of several waiting pullers, first come first served", async () => {
      const { broker } = setup();
      const first = broker.pull({ max: 2 });
      const second = broker.pull({ max: 2 });
      const third = broker.pull({ max: 2 });
      await flush();
      // Published in one tick: served together, to the waiters in arrival order.
      for (const p of ["1", "2", "3"]) void broker.publish(bytes(p));
      const batches = await Promise.all([first, second]);
      assert.deepEqual(
        batches.map((b) => b.map((m) => text(m.data))),
        [["1", "2"], ["3"]],
      );
      assert.equal(broker.stats().waitingPulls, 1);
      await publishAll(broker, "4");
      assert.deepEqual(
        (await third).map((m) => text(m.data)),
        ["4"],
      );
      await broker.close();
    });

    it("a new pull does not overtake waiting ones", async () => {
      const { broker } = setup();
      const waiting = broker.pull({ max: 1 });
      await flush();
      void broker.publish(bytes("only"));
      // Published but not yet handed to the waiter: the newcomer must queue behind it.
      const newcomer = broker.pull({ max: 1, expiresMs: 10 });
      assert.equal(text((await waiting)[0]!.data), "only");
      await flush();
      assert.equal(broker.stats().waitingPulls, 1);
      await broker.close();
      assert.deepEqual(await newcomer, []);
    });

    it("never exceeds maxInFlight across two concurrent pullers", async () => {
      const { broker } = setup({ maxInFlight: 3 });
      await publishAll(broker, "1", "2", "3", "4", "5", "6");
      const a = await broker.pull({ max: 2 });
      const b = await broker.pull({ max: 2 });
      assert.equal(a.length, 2);
      assert.equal(b.length, 1);
      assert.equal(broker.stats().outstanding, 3);
      const waitingA = broker.pull({ max: 5 });
      const waitingB = broker.pull({ max: 5 });
      await flush();
      assert.equal(broker.stats().waitingPulls, 2);
      a[0]!.ack();
      a[1]!.nack(); // frees a slot and puts "2" back at the front
      const nextA = await waitingA;
      assert.deepEqual(
        nextA.map((m) => [text(m.data), m.deliveryAttempt]),
        [
          ["2", 2],
          ["4", 1],
        ],
      );
      assert.equal(broker.stats().outstanding, 3);
      assert.equal(broker.stats().waitingPulls, 1);
      b[0]!.ack();
      assert.deepEqual(
        (await waitingB).map((m) => text(m.data)),
        ["5"],
      );
      assert.equal(broker.stats().outstanding, 3);
      await broker.close();
    });

    it("an expired lease frees its slot and is redelivered to a waiting puller", async () => {
      const { broker, clock } = setup({ maxInFlight: 1, ackDeadlineMs: 100 });
      await publishAll(broker, "1", "2");
      const [held] = await pullNow(broker);
      const waiting = broker.pull({ max: 2 });
      clock.tick(100);
      const [next] = await waiting;
      assert.equal(next!.id, held!.id);
      assert.equal(next!.deliveryAttempt, 2);
      assert.equal(broker.stats().outstanding, 1);
      await broker.close();
    });
  });

  describe("pull options", () => {
    it("resolves [] when the signal aborts, and removes its abort listener", async () => {
      const { broker } = setup();
      const controller = new AbortController();
      const pending = broker.pull({ max: 1, signal: controller.signal });
      assert.equal(getEventListeners(controller.signal, "abort").length, 1);
      controller.abort();
      assert.deepEqual(await pending, []);
      assert.equal(getEventListeners(controller.signal, "abort").length, 0);
      assert.equal(broker.stats().waitingPulls, 0);
      // The aborted pull took nothing: the next message goes to the next puller.
      await publishAll(broker, "m");
      assert.equal((await pullNow(broker)).length, 1);
      await broker.close();
    });

    it("removes the abort listener when the pull is served", async () => {
      const { broker } = setup();
      const controller = new AbortController();
      for (let i = 0; i < 5; i++) {
        const pending = broker.pull({ max: 1, signal: controller.signal });
        await publishAll(broker, `m${i}`);
        assert.equal((await pending).length, 1);
      }
      assert.equal(getEventListeners(controller.signal, "abort").length, 0);
      await broker.close();
    });

    it("resolves [] at once for an already aborted signal", async () => {
      const { broker } = setup();
      await publishAll(broker, "m");
      assert.deepEqual(await broker.pull({ max: 1, signal: AbortSignal.abort() }), []);
      assert.equal(broker.stats().outstanding, 0);
      await broker.close();
    });

    it("resolves [] after expiresMs with nothing to deliver, and clears its timer when served", async () => {
      const { broker, clock } = setup();
      const expiring = broker.pull({ max: 1, expiresMs: 1_000 });
      clock.tick(999);
      await flush();
      assert.equal(broker.stats().waitingPulls, 1);
      clock.tick(1);
      assert.deepEqual(await expiring, []);
      assert.equal(clock.pendingTimers(), 0);

      const served = broker.pull({ max: 1, expiresMs: 1_000 });
      assert.equal(clock.pendingTimers(), 1);
      await publishAll(broker, "m");
      assert.equal((await served).length, 1);
      // Only the ack-deadline timer remains.
      assert.equal(clock.pendingTimers(), 1);
      await broker.close();
    });

    it("rejects bad pull options with a TypeError naming the option and value", async () => {
      const { broker } = setup();
      await assert.rejects(broker.pull({ max: 0 }), {
        name: "TypeError",
        message: "PullOptions.max must be a positive integer; received 0",
      });
      await assert.rejects(broker.pull({ max: 1.5 }), TypeError);
      await assert.rejects(broker.pull({ max: 1, expiresMs: -5 }), {
        message: /PullOptions\.expiresMs.*received -5/,
      });
      await assert.rejects(broker.pull({ max: 1, signal: {} as AbortSignal }), {
        message: /PullOptions\.signal/,
      });
      await assert.rejects(broker.pull(undefined as never), {
        message: /pull\(\) options must be an object/,
      });
      await broker.close();
    });
  });

  describe("stats", () => {
    it("reports every figure, as a fresh plain object whose counts add up", async () => {
      const { broker, clock } = setup({ ackDeadlineMs: 100, maxDeliveries: 2 });
      await publishAll(broker, "ack", "nack", "delay", "term", "expire", "waiting");
      const [ack, nack, delay, term, expire] = await broker.pull({ max: 5 });
      ack!.ack();
      nack!.nack();
      delay!.nack(1_000);
      term!.term("bad");
      void expire;
      clock.tick(100); // "expire" passes its deadline and goes back to pending
      ack!.ack(); // late
      const stats = broker.stats();
      assert.deepEqual(stats, {
        kind: "memory",
        published: 6,
        pending: 4, // nack, delay (delayed), expire, waiting
        outstanding: 0,
        delivered: 5,
        redelivered: 0,
        acked: 1,
        nacked: 2,
        terminated: 1,
        expired: 1,
        deadLettered: 1,
        lateSettlements: 1,
        delayed: 1,
        waitingPulls: 0,
        deadLettersDropped: 0,
      });
      assert.equal(
        stats.published,
        stats.acked + stats.deadLettered + stats.pending + stats.outstanding,
      );
      assert.notEqual(broker.stats(), stats);
      const again = await broker.pull({ max: 10 });
      assert.equal(again.length, 3);
      assert.equal(broker.stats().redelivered, 2);
      assert.equal(broker.stats().outstanding, 3);
      await broker.close();
    });
  });

  describe("stopPulling", () => {
    it("resolves waiting and later pulls with []; held leases still settle, publish still works", async () => {
      const { broker } = setup();
      await publishAll(broker, "held", "kept");
      const held = await pullOne(broker);
      await pullOne(broker).then((m) => m.ack());
      const waiting = broker.pull({ max: 1 });
      await flush();
      await broker.stopPulling();
      await broker.stopPulling(); // idempotent
      assert.deepEqual(await waiting, []);
      held.nack();
      await broker.publish(bytes("later"));
      assert.deepEqual(await pullNow(broker), [], "nothing is delivered once stopped");
      const stats = broker.stats();
      assert.equal(stats.nacked, 1);
      assert.equal(stats.acked, 1);
      assert.equal(stats.pending, 2, "the nacked message and the new one wait");
      assert.equal(stats.waitingPulls, 0);
      await broker.close();
    });
  });

  describe("close", () => {
    it("resolves waiting pulls with [], clears every timer, and is idempotent", async () => {
      const { broker, clock } = setup();
      await publishAll(broker, "held", "delayed");
      const [, delayed] = await pullNow(broker);
      delayed!.nack(5_000);
      const waiters = [broker.pull({ max: 1 }), broker.pull({ max: 1, expiresMs: 60_000 })];
      await flush();
      assert.ok(clock.pendingTimers() >= 3);
      const first = broker.close();
      const second = broker.close();
      assert.equal(first, second);
      await first;
      assert.deepEqual(await Promise.all(waiters), [[], []]);
      assert.equal(clock.pendingTimers(), 0);
      assert.equal(broker.stats().waitingPulls, 0);
    });

    it("rejects publish with MAYHEM_ERR_BROKER_CLOSED and resolves pull with []", async () => {
      const { broker } = setup();
      await publishAll(broker, "m");
      await broker.close();
      const error = await broker.publish(bytes("x")).then(
        () => assert.fail("publish after close must reject"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof BrokerClosedError);
      assert.ok(error instanceof BrokerError);
      assert.equal(error.code, "MAYHEM_ERR_BROKER_CLOSED");
      assert.match(error.message, /closed/);
      assert.deepEqual(await broker.pull({ max: 1 }), []);
    });

    it("turns settlements of leases held at close into late settlements", async () => {
      const { broker, clock } = setup({ ackDeadlineMs: 100 });
      await publishAll(broker, "m");
      const message = await pullOne(broker);
      await broker.close();
      message.ack();
      clock.tick(1_000);
      const stats = broker.stats();
      assert.equal(stats.acked, 0);
      assert.equal(stats.lateSettlements, 1);
      assert.equal(stats.expired, 0);
    });
  });

  describe("options", () => {
    const bad: [string, Record<string, unknown>, RegExp][] = [
      [
        "ackDeadlineMs",
        { ackDeadlineMs: 0 },
        /MemoryBrokerOptions\.ackDeadlineMs must be .*; received 0/,
      ],
      ["ackDeadlineMs", { ackDeadlineMs: Infinity }, /ackDeadlineMs.*received Infinity/],
      [
        "maxDeliveries",
        { maxDeliveries: 0 },
        /MemoryBrokerOptions\.maxDeliveries must be an integer >= 1; received 0/,
      ],
      ["maxDeliveries", { maxDeliveries: "3" }, /maxDeliveries.*received '3'/],
      ["maxInFlight", { maxInFlight: 2.5 }, /maxInFlight.*received 2\.5/],
      [
        "maxDeadLetters",
        { maxDeadLetters: -1 },
        /maxDeadLetters must be a non-negative integer; received -1/,
      ],
      ["clock", { clock: { now: () => 0 } }, /MemoryBrokerOptions\.clock must be/],
    ];
    for (const [name, options, message] of bad) {
      it(`rejects a bad ${name} (${JSON.stringify(options)}) with a TypeError`, () => {
        assert.throws(() => new MemoryBroker(options), { name: "TypeError", message });
      });
    }

    it("accepts no options at all", async () => {
      const broker = new MemoryBroker();
      await broker.publish(bytes("m"));
      const [message] = await broker.pull({ max: 1 });
      assert.equal(text(message!.data), "m");
      message!.ack();
      assert.equal(broker.stats().acked, 1);
      await broker.close();
    });

    it("refuses a retired option name, naming the new one", () => {
      assert.throws(() => new MemoryBroker({ maxOutstanding: 5 } as never), {
        name: "TypeError",
        message: /MemoryBrokerOptions\.maxOutstanding is now called maxInFlight/,
      });
    });
  });

  describe("lifecycle: closed() and asyncDispose", () => {
    /** Whether `promise` has settled, checked after the pending callbacks have run. */
    async function settled(promise: Promise<unknown>): Promise<boolean> {
      let done = false;
      void promise.then(() => (done = true));
      await new Promise((resolve) => setImmediate(resolve));
      return done;
    }

    it("closed() stays pending while open, then resolves undefined once close() ran", async () => {
      const { broker } = setup();
      const closed = broker.closed();
      await publishAll(broker, "m");
      await broker.stopPulling();
      assert.equal(await settled(closed), false, "stopPulling() does not close");
      await broker.close();
      assert.equal(await closed, undefined);
      assert.equal(broker.closed(), closed, "the same promise every time");
    });

    it("[Symbol.asyncDispose] closes it: pulls resolve [], publishes reject, closed() resolves", async () => {
      const { broker, clock } = setup();
      await publishAll(broker, "a", "b");
      const [held] = await pullNow(broker, 2);
      // Nothing left to deliver: this pull waits, on a timer.
      const waiting = broker.pull({ max: 5, expiresMs: 10_000 });
      assert.ok(clock.pendingTimers() > 0);
      await broker[Symbol.asyncDispose]();
      assert.equal(await broker.closed(), undefined);
      assert.deepEqual(await waiting, []);
      assert.equal(held!.held, false);
      assert.equal(clock.pendingTimers(), 0);
      await assert.rejects(broker.publish(bytes("late")), BrokerClosedError);
      await broker[Symbol.asyncDispose](); // idempotent, like close()
    });
  });

  describe("the process", () => {
    const fixture = fileURLToPath(
      new URL("./fixtures/memory-broker-left-busy.ts", import.meta.url),
    );
    /** Generous: the timers the broker armed are a minute away; only a ref'd one could hold the child that long. */
    const EXIT_LIMIT_MS = 30_000;

    for (const mode of ["open", "close"] as const) {
      it(`exits on its own with a broker ${mode === "open" ? "left open" : "closed"} while a lease, a delayed nack and a waiting pull have timers armed`, async () => {
        const child = spawn(process.execPath, ["--import", "tsx", fixture, mode], {
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const limit = setTimeout(() => child.kill("SIGKILL"), EXIT_LIMIT_MS);
        const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
        clearTimeout(limit);
        assert.equal(signal, null, `killed after ${EXIT_LIMIT_MS} ms: something kept it alive`);
        assert.equal(code, 0, stderr);
        assert.equal(stdout, `${mode}: done\n`);
      });
    }
  });
});

describe("MemoryMessage", () => {
  it("logs as a short summary, not as the broker's internals", async () => {
    const { broker } = setup();
    await publishAll(broker, "abc", "def");
    const [first, second] = await pullNow(broker);
    assert.deepEqual(JSON.parse(JSON.stringify(first)), {
      id: first!.id,
      deliveryAttempt: 1,
      bytes: 3,
      held: true,
    });
    second!.ack();
    assert.equal(
      inspect(second),
      `MemoryMessage {"id":"${second!.id}","deliveryAttempt":1,"bytes":3,"held":false}`,
    );
    await broker.close();
  });
});

describe("systemClock", () => {
  it("arms unref'd timers that fire, and clears them", async () => {
    // The broker's timer is unref'd: a ref'd one keeps the loop alive while we wait for it.
    const keepAlive = setInterval(() => {}, 1_000);
    try {
      let handle: unknown;
      await new Promise<void>((resolve) => {
        handle = systemClock.setTimeout(resolve, 1);
      });
      assert.equal((handle as NodeJS.Timeout).hasRef(), false);
      let fired = false;
      systemClock.clearTimeout(systemClock.setTimeout(() => (fired = true), 0));
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(fired, false);
    } finally {
      clearInterval(keepAlive);
    }
  });

  it("caps delays at Node's limit instead of letting them overflow to 1 ms", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      systemClock.clearTimeout(systemClock.setTimeout(() => assert.fail("must not fire"), 2 ** 40));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    assert.deepEqual(warnings, []);
  });
});
