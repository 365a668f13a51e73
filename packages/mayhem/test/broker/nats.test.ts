import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import {
  DeadLetterHeader,
  NatsBroker,
  NatsConfigMismatchError,
  natsServerStats,
  type NatsBrokerOptions,
} from "../../src/broker/nats/index.js";
import { ErrorCode } from "../../src/errors/index.js";
import type { BrokerMessage } from "../../src/broker/types.js";
import { DeliveryDispatcher, ServiceStats, timerSleeper } from "../../src/service/index.js";
import { NatsServer, natsServerAvailable } from "../helpers/nats-server.js";
import {
  adminClient,
  allSettled,
  decode,
  encode,
  eventually,
  isolatedNames,
  pullCount,
  recordingLogger,
} from "./nats-fixtures.js";

const available = natsServerAvailable();

/**
 * Added to ack waits and nack delays that decide a redelivery. The broker's
 * fetches expire every second on an idle stream, so a redelivery due a whole
 * number of seconds after a delivery falls due as a fetch expires; nats-server
 * before 2.10.14 (Debian's is 2.9.10) then fails to deliver it and sends the
 * message again later as delivery 1 (nats-io/nats-server#5305). Off the
 * boundary (a quarter of a second keeps three rounds clear of it), the delivery
 * counts these tests check are the server's own.
 */
const OFF_FETCH_BOUNDARY_MS = 250;

describe(
  "NatsBroker on a real nats-server",
  // The timeout only keeps a failure from hanging CI; nothing is asserted about durations.
  { skip: available === true ? false : available, timeout: 120_000 },
  () => {
    let server: NatsServer;
    const open: NatsBroker[] = [];

    before(async () => {
      server = await NatsServer.start();
    });
    after(async () => {
      await Promise.allSettled(open.map((b) => b.close()));
      await server.dispose();
    });

    async function broker(options: Partial<NatsBrokerOptions> = {}): Promise<NatsBroker> {
      const b = await NatsBroker.connect({ servers: server.url, ...options });
      open.push(b);
      return b;
    }

    it("acks: every message is delivered once and the ack floor reaches the last sequence", async () => {
      const b = await broker(isolatedNames());
      for (const text of ["a", "b", "c"]) await b.publish(encode(text));
      const messages = await pullCount(b, 3);
      assert.deepEqual(
        messages.map((m) => [m.id, decode(m.data), m.deliveryAttempt]),
        [
          ["1", "a", 1],
          ["2", "b", 1],
          ["3", "c", 1],
        ],
      );
      for (const m of messages) m.ack();
      const stats = await allSettled(b, 3);
      assert.equal(stats.messages, 3);
      assert.equal(stats.redelivered, 0);
      assert.deepEqual(await b.pull({ max: 1, expiresMs: 0 }), []);
      const local = b.stats();
      assert.equal(local.acked, 3);
      assert.equal(local.outstanding, 0);
      assert.equal(local.published, 3);
    });

    it("nack redelivers with the next attempt number, and nack(delay) holds it back", async () => {
      const b = await broker(isolatedNames());
      await b.publish(encode("retry me"));
      const [first] = await pullCount(b, 1);
      assert.equal(first!.deliveryAttempt, 1);
      first!.nack();
      const [second] = await pullCount(b, 1);
      assert.equal(second!.id, first!.id);
      assert.equal(second!.deliveryAttempt, 2);
      assert.equal(decode(second!.data), "retry me");

      // Redelivered within milliseconds without a delay (above), so with a delay
      // of over 2 s nothing may arrive in the first second.
      second!.nack(2_000 + OFF_FETCH_BOUNDARY_MS);
      assert.deepEqual(await b.pull({ max: 1, expiresMs: 1_000 }), []);
      const [third] = await pullCount(b, 1, 10_000);
      assert.equal(third!.deliveryAttempt, 3);
      third!.ack();
      await allSettled(b, 1);
      assert.equal(b.stats().redelivered, 2);
      assert.equal(b.stats().nacked, 2);
    });

    it("extendDeadline (working()) keeps a slow message from being redelivered past the ack wait", async () => {
      const names = isolatedNames();
      const b = await broker({ ...names, ackDeadlineMs: 2_000 + OFF_FETCH_BOUNDARY_MS });
      await b.publish(encode("slow"));
      await b.publish(encode("abandoned"));
      const [slow, abandoned] = await pullCount(b, 2);
      assert.equal(decode(slow!.data), "slow");
      // The slow one is extended every 250 ms (a tenth of the ack wait, so a busy
      // machine has slack); the abandoned one is left to expire.
      const heartbeat = setInterval(() => slow!.extendDeadline(), 250);
      try {
        const redelivered = await pullCount(b, 1, 6_000);
        assert.equal(redelivered.length, 1, "the abandoned message comes back after the ack wait");
        assert.equal(redelivered[0]!.id, abandoned!.id);
        assert.equal(redelivered[0]!.deliveryAttempt, 2);
        redelivered[0]!.ack();
        // Another 1.5 ack waits with the slow one still held: it must not come back.
        assert.deepEqual(await b.pull({ max: 1, expiresMs: 3_400 }), []);
      } finally {
        clearInterval(heartbeat);
      }
      slow!.ack();
      await allSettled(b, 2);
      assert.equal(b.stats().redelivered, 1);
    });

    it("extensions moments after the last reset are counted as coalesced, not sent", async () => {
      const b = await broker({ ...isolatedNames(), ackDeadlineMs: 10_000 });
      await b.publish(encode("busy"));
      const [message] = await pullCount(b, 1);
      // Delivered moments ago: the server's deadline is still a full ack wait away.
      for (let i = 0; i < 3; i++) message!.extendDeadline();
      assert.equal(b.stats().coalescedExtensions, 3);
      message!.ack();
      await allSettled(b, 1);
      assert.equal(b.stats().lateSettlements, 0);
    });

    it("term stores a dead letter with its reason and is never redelivered", async () => {
      const names = isolatedNames();
      const b = await broker({ ...names, ackDeadlineMs: 1_000 });
      await b.publish(encode("{not json"));
      const [poison] = await pullCount(b, 1);
      poison!.term("malformed: Unexpected token");
      const stats = await allSettled(b, 1);
      await eventually(
        async () => (await b.serverStats()).deadLettered === 1,
        "the dead letter is stored",
      );
      assert.equal(stats.redelivered, 0);
      // Past the ack wait: a termed message does not come back.
      assert.deepEqual(await b.pull({ max: 1, expiresMs: 1_500 }), []);

      const { nc, jsm } = await adminClient(server.url);
      try {
        const dead = await jsm.streams.getMessage(names.deadLetterStream, {
          last_by_subj: names.deadLetterSubject,
        });
        assert.ok(dead);
        assert.equal(decode(dead.data), "{not json");
        assert.equal(dead.header.get(DeadLetterHeader.reason), "malformed: Unexpected token");
        assert.equal(dead.header.get(DeadLetterHeader.streamSequence), "1");
        assert.equal(dead.header.get(DeadLetterHeader.deliveries), "1");
        assert.equal(dead.header.get(DeadLetterHeader.stream), names.stream);
      } finally {
        await nc.close();
      }
      assert.equal(b.stats().terminated, 1);
      assert.equal(b.stats().deadLettered, 1);
    });

    it("dead-letters after max deliveries, whether the last delivery is nacked or expires", async () => {
      const names = isolatedNames();
      const b = await broker({
        ...names,
        ackDeadlineMs: 1_000 + OFF_FETCH_BOUNDARY_MS,
        maxDeliveries: 2,
      });
      await b.publish(encode("nacked twice"));
      await b.publish(encode("expires twice"));
      // Settle each delivery as it arrives: nack one message every time, never settle the other.
      const attempts = new Map<string, number[]>();
      // Bounded, so that a regression fails here instead of hanging (about 20 s at most).
      for (let round = 0; (await b.serverStats()).deadLettered < 2; round++) {
        assert.ok(round < 40, `not both dead-lettered yet: ${JSON.stringify([...attempts])}`);
        for (const m of await b.pull({ max: 2, expiresMs: 500 })) {
          const text = decode(m.data);
          attempts.set(text, [...(attempts.get(text) ?? []), m.deliveryAttempt]);
          if (text === "nacked twice") m.nack();
        }
      }
      assert.deepEqual(attempts.get("nacked twice"), [1, 2]);
      assert.deepEqual(attempts.get("expires twice"), [1, 2]);
      const stats = await allSettled(b, 2);
      await eventually(
        async () => (await b.serverStats()).deadLettered === 2,
        "both dead letters are stored",
      );
      assert.equal(stats.ackFloor, 2);

      const { nc, jsm } = await adminClient(server.url);
      try {
        const reasons = new Map<string, string | undefined>();
        for (const seq of [1, 2]) {
          const dead = await jsm.streams.getMessage(names.deadLetterStream, { seq });
          assert.ok(dead);
          reasons.set(decode(dead.data), dead.header.get(DeadLetterHeader.reason));
          assert.equal(dead.header.get(DeadLetterHeader.deliveries), "2");
        }
        assert.equal(reasons.get("nacked twice"), "nacked on delivery 2 of 2");
        assert.equal(reasons.get("expires twice"), "ack deadline expired on delivery 2 of 2");
      } finally {
        await nc.close();
      }
      // Nothing handed to a puller a third time.
      assert.deepEqual(await b.pull({ max: 1, expiresMs: 0 }), []);
      assert.equal(b.stats().delivered, 4);
    });

    it("a dead letter that could not be stored keeps its reason when the message comes back", async () => {
      const names = isolatedNames();
      const logger = recordingLogger();
      const options = { ...names, ackDeadlineMs: 1_000 + OFF_FETCH_BOUNDARY_MS, maxDeliveries: 1 };
      const b = await broker({ ...options, logger });
      const { nc, jsm } = await adminClient(server.url);
      try {
        // Nowhere to store dead letters: the nack on the last delivery cannot dead-letter.
        await jsm.streams.delete(names.deadLetterStream);
        await b.publish(encode("nacked once"));
        (await pullCount(b, 1))[0]!.nack();
        await eventually(() => b.stats().deadLetterFailures === 1, "the dead letter fails");
        // Another instance creates the dead-letter stream again; the message, left
        // unsettled, comes back after the ack wait and is dead-lettered then.
        await (await NatsBroker.connect({ servers: server.url, ...options })).close();
        await eventually(
          async () => (await b.serverStats()).deadLettered === 1,
          "the dead letter is stored on the second try",
        );
        const dead = await jsm.streams.getMessage(names.deadLetterStream, { seq: 1 });
        assert.equal(dead?.header.get(DeadLetterHeader.reason), "nacked on delivery 1 of 1");
      } finally {
        await nc.close();
      }
      assert.equal(b.stats().expired, 0, "not counted as an expired lease");
      assert.deepEqual(await b.pull({ max: 1, expiresMs: 0 }), [], "never handed out again");
    });

    it("refuses an existing stream or consumer with a different config, naming the field", async () => {
      const names = isolatedNames();
      await (await broker({ ...names, ackDeadlineMs: 10_000, maxDeliveries: 5 })).close();

      const ackWait = await NatsBroker.connect({
        servers: server.url,
        ...names,
        ackDeadlineMs: 5_000,
      }).then(
        () => assert.fail("connected despite a different ack wait"),
        (error: unknown) => error,
      );
      assert.ok(ackWait instanceof NatsConfigMismatchError);
      assert.equal(ackWait.code, ErrorCode.natsConfigMismatch);
      assert.equal(ackWait.code, "MAYHEM_ERR_NATS_CONFIG_MISMATCH");
      assert.equal(ackWait.entity, "consumer");
      assert.equal(ackWait.field, "ack_wait (ms)");
      assert.equal(ackWait.expected, 5_000);
      assert.equal(ackWait.actual, 10_000);
      assert.match(ackWait.message, /ack_wait/);

      await assert.rejects(
        NatsBroker.connect({ servers: server.url, ...names, maxDeliveries: 3 }),
        {
          code: "MAYHEM_ERR_NATS_CONFIG_MISMATCH",
          field: "max_deliver (maxDeliveries + 1)",
          expected: 4,
          actual: 6,
        },
      );
      await assert.rejects(
        NatsBroker.connect({ servers: server.url, ...names, subject: `${names.subject}.other` }),
        {
          code: "MAYHEM_ERR_NATS_CONFIG_MISMATCH",
          entity: "stream",
          field: "subjects",
        },
      );
      // The same config is reused, not refused.
      await (await broker(names)).close();
    });

    it("refuses an existing stream whose retention, storage or limits could drop work", async () => {
      const { nc, jsm } = await adminClient(server.url);
      try {
        const cases: {
          config: Partial<StreamConfig>;
          field: string;
          expected: unknown;
          actual: unknown;
          deadLetter?: boolean;
        }[] = [
          {
            config: { retention: RetentionPolicy.Interest },
            field: "retention",
            expected: "limits",
            actual: "interest",
          },
          {
            config: { retention: RetentionPolicy.Workqueue },
            field: "retention",
            expected: "limits",
            actual: "workqueue",
          },
          {
            config: { storage: StorageType.Memory },
            field: "storage",
            expected: "file",
            actual: "memory",
          },
          { config: { max_msgs: 100 }, field: "max_msgs", expected: -1, actual: 100 },
          { config: { max_bytes: 1_000_000 }, field: "max_bytes", expected: -1, actual: 1_000_000 },
          {
            config: { max_msgs_per_subject: 10 },
            field: "max_msgs_per_subject",
            expected: -1,
            actual: 10,
          },
          {
            config: { max_age: nanos(3_600_000) },
            field: "max_age (ms)",
            expected: 0,
            actual: 3_600_000,
          },
          {
            config: { discard: DiscardPolicy.New },
            field: "discard",
            expected: "old",
            actual: "new",
          },
          // The dead-letter stream is held to the same: a dead letter must not vanish either.
          {
            config: { retention: RetentionPolicy.Interest },
            field: "retention",
            expected: "limits",
            actual: "interest",
            deadLetter: true,
          },
        ];
        for (const c of cases) {
          const names = isolatedNames();
          const name = c.deadLetter === true ? names.deadLetterStream : names.stream;
          const subject = c.deadLetter === true ? names.deadLetterSubject : names.subject;
          await jsm.streams.add({ name, subjects: [subject], ...c.config });
          const what = `${c.deadLetter === true ? "dead-letter " : ""}stream with ${JSON.stringify(c.config)}`;
          const error = await NatsBroker.connect({ servers: server.url, ...names }).then(
            async (b) => {
              await b.close();
              return assert.fail(`connected despite a ${what}`);
            },
            (e: unknown) => e,
          );
          assert.ok(error instanceof NatsConfigMismatchError, `${what}: ${String(error)}`);
          assert.equal(error.code, "MAYHEM_ERR_NATS_CONFIG_MISMATCH");
          assert.equal(error.entity, "stream", what);
          assert.equal(error.entityName, name, what);
          assert.equal(error.field, c.field, what);
          assert.deepEqual(error.expected, c.expected, what);
          assert.deepEqual(error.actual, c.actual, what);
          assert.ok(error.message.includes(c.field), error.message);
        }
      } finally {
        await nc.close();
      }
    });

    it("refuses an existing consumer whose deliver policy, ack policy or headers-only mode loses work", async () => {
      const { nc, jsm } = await adminClient(server.url);
      try {
        const cases: {
          config: Record<string, unknown>;
          field: string;
          expected: unknown;
          actual: unknown;
        }[] = [
          {
            config: { deliver_policy: DeliverPolicy.New },
            field: "deliver_policy",
            expected: "all",
            actual: "new",
          },
          {
            config: { ack_policy: AckPolicy.All },
            field: "ack_policy",
            expected: "explicit",
            actual: "all",
          },
          { config: { headers_only: true }, field: "headers_only", expected: false, actual: true },
        ];
        for (const c of cases) {
          const names = isolatedNames();
          await jsm.streams.add({ name: names.stream, subjects: [names.subject] });
          // As the broker would create it, but for the one field.
          await jsm.consumers.add(names.stream, {
            durable_name: names.durable,
            ack_policy: AckPolicy.Explicit,
            ack_wait: nanos(10_000),
            max_deliver: 6,
            max_ack_pending: 10_000,
            filter_subject: names.subject,
            deliver_policy: DeliverPolicy.All,
            ...c.config,
          });
          const what = `consumer with ${JSON.stringify(c.config)}`;
          await assert.rejects(
            NatsBroker.connect({ servers: server.url, ...names }),
            {
              code: "MAYHEM_ERR_NATS_CONFIG_MISMATCH",
              entity: "consumer",
              entityName: names.durable,
              field: c.field,
              expected: c.expected,
              actual: c.actual,
            },
            what,
          );
        }
      } finally {
        await nc.close();
      }
    });

    it("rejects bad options with a TypeError naming the option and the value", async () => {
      await assert.rejects(NatsBroker.connect({ servers: "http://x:1" }), {
        name: "TypeError",
        message: /NatsBrokerOptions\.servers .*'http:\/\/x:1'/,
      });
      await assert.rejects(NatsBroker.connect({ servers: server.url, ackDeadlineMs: -1 }), {
        name: "TypeError",
        message: /NatsBrokerOptions\.ackDeadlineMs .*-1/,
      });
      for (const [old, current] of [
        ["ackWaitMs", "ackDeadlineMs"],
        ["maxDeliver", "maxDeliveries"],
      ]) {
        await assert.rejects(NatsBroker.connect({ servers: server.url, [old!]: 1_000 }), {
          name: "TypeError",
          message: `NatsBrokerOptions.${old} is now called ${current}; rename the option`,
        });
      }
      await assert.rejects(NatsBroker.connect({ servers: server.url, stream: "a.b" }), {
        name: "TypeError",
        message: /NatsBrokerOptions\.stream .*'a\.b'/,
      });
      const b = await broker(isolatedNames());
      await assert.rejects(b.pull({ max: 0 }), {
        name: "TypeError",
        message: /PullOptions\.max .*0/,
      });
    });

    it("stopPulling() then close(): held and prefetched messages reach another instance on their second delivery", async () => {
      const names = isolatedNames();
      // A long ack wait: whatever the second instance receives, it got from a nack, not an expiry.
      const first = await broker({ ...names, ackDeadlineMs: 60_000, prefetch: 16 });
      for (let i = 0; i < 10; i++) await first.publish(encode(`m${i}`));
      const held = await pullCount(first, 3);
      await eventually(() => first.stats().buffered === 7, "the rest is prefetched");
      // What the service does on shutdown: stop pulling, then nack the in-flight work.
      const stopping = first.stopPulling();
      assert.equal(first.stopPulling(), stopping);
      await stopping;
      assert.deepEqual(await first.pull({ max: 1 }), [], "no delivery once stopped");
      assert.equal(first.stats().buffered, 7);
      for (const m of held) m.nack();
      const closing = first.close();
      assert.equal(first.close(), closing);
      await closing;
      assert.deepEqual(await first.pull({ max: 1 }), []);
      await assert.rejects(first.publish(encode("late")), { code: "MAYHEM_ERR_BROKER_CLOSED" });

      const second = await broker({ ...names, ackDeadlineMs: 60_000 });
      const taken = await pullCount(second, 10, 5_000);
      assert.equal(taken.length, 10);
      assert.deepEqual(
        taken.map((m) => decode(m.data)).sort(),
        Array.from({ length: 10 }, (_, i) => `m${i}`).sort(),
      );
      // Each was delivered once to the first instance and handed straight back:
      // none came back to the closing instance to be handed back again.
      assert.deepEqual(
        taken.map((m) => [decode(m.data), m.deliveryAttempt]),
        taken.map((m) => [decode(m.data), 2]),
      );
      for (const m of taken) m.ack();
      await allSettled(second, 10);

      const idle = await broker(isolatedNames());
      const waiting = idle.pull({ max: 1 }); // nothing to deliver: resolves only on close
      await idle.close();
      assert.deepEqual(await waiting, []);
    });

    it("a backlog larger than maxInFlight meets slow handlers: every message acked, none dead-lettered", async (t) => {
      const names = isolatedNames();
      const maxInFlight = 3;
      // A short ack wait with the default max deliveries (5). Were messages fetched
      // beyond what the handlers can start, they would wait out their ack wait in
      // the buffer, be skipped, come back, and be dead-lettered after five rounds.
      const b = await broker({ ...names, ackDeadlineMs: 500, maxInFlight });
      const total = 300;
      await Promise.all(Array.from({ length: total }, (_, i) => b.publish(encode(String(i)))));
      const acked = new Set<string>();
      let peakHeld = 0;
      const consumer = new DeliveryDispatcher({
        broker: b,
        maxInFlight,
        sleeper: timerSleeper,
        stats: new ServiceStats(),
        log: undefined,
        handler: async (m: BrokerMessage) => {
          const now = b.stats();
          peakHeld = Math.max(peakHeld, now.buffered + now.outstanding);
          await delay(40);
          m.ack();
          acked.add(m.id);
        },
      });
      consumer.start();
      try {
        await eventually(
          () => acked.size === total || b.stats().deadLettered > 0,
          `every message is acked (acked ${acked.size}, ${JSON.stringify(b.stats())})`,
          90_000,
        );
      } finally {
        await consumer.stopPulling();
        await consumer.onIdle();
      }
      const local = b.stats();
      t.diagnostic(
        `backlog: redelivered ${local.redelivered}, expired ${local.expired}, peak held ${peakHeld}`,
      );
      assert.equal(local.deadLettered, 0, "nothing dead-lettered");
      assert.equal(acked.size, total);
      assert.ok(peakHeld <= maxInFlight, `held ${peakHeld} > maxInFlight ${maxInFlight}`);
      const stats = await allSettled(b, total);
      assert.equal(stats.deadLettered, 0);
    });

    it("two instances on one durable consumer share the work; every message is acked", async () => {
      const names = isolatedNames();
      const a = await broker({ ...names, prefetch: 8 });
      const b = await broker({ ...names, prefetch: 8 });
      const total = 400;
      await Promise.all(Array.from({ length: total }, (_, i) => a.publish(encode(String(i)))));
      const seen = new Map<string, number>();
      let remaining = total;
      const work = async (instance: NatsBroker): Promise<number> => {
        let done = 0;
        while (remaining > 0) {
          const batch = await instance.pull({ max: 4, expiresMs: 200 });
          for (const m of batch) {
            // Yield between messages, so that neither instance drains everything in one turn.
            await new Promise((resolve) => setImmediate(resolve));
            seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
            m.ack();
            remaining--;
            done++;
          }
        }
        return done;
      };
      const [doneA, doneB] = await Promise.all([work(a), work(b)]);
      assert.ok(doneA > 0, `instance A did no work (B did ${doneB})`);
      assert.ok(doneB > 0, `instance B did no work (A did ${doneA})`);
      assert.equal(seen.size, total);
      assert.ok(
        [...seen.values()].every((n) => n === 1),
        "no message was leased to both at once",
      );
      await allSettled(a, total);
    });

    it("reconnects when the server restarts mid-pull, logs once each way, and loses nothing", async () => {
      const names = isolatedNames();
      const logger = recordingLogger();
      const b = await broker({ ...names, logger, reconnectTimeWaitMs: 100, ackDeadlineMs: 2_000 });
      const total = 50;
      for (let i = 0; i < total; i++) await b.publish(encode(String(i)));
      const acked = new Set<string>();
      for (const m of await pullCount(b, 10)) {
        m.ack();
        acked.add(decode(m.data));
      }
      await eventually(
        async () => (await b.serverStats()).ackFloor === 10,
        "the first ten acks are stored",
      );

      // A pull waits across the outage; the buffer it would be served from is kept.
      await server.stop();
      await eventually(() => !b.stats().connected, "the client notices the disconnect");
      const during = b.pull({ max: 5, expiresMs: 30_000 });
      await server.restart();
      const resumed = await during;
      assert.ok(resumed.length > 0);
      for (const m of resumed) {
        m.ack();
        acked.add(decode(m.data));
      }
      while (acked.size < total) {
        const batch = await b.pull({ max: 10, expiresMs: 10_000 });
        assert.ok(batch.length > 0, `stalled with ${acked.size} of ${total} acked`);
        for (const m of batch) {
          m.ack();
          acked.add(decode(m.data));
        }
      }
      await allSettled(b, total);
      const stats = b.stats();
      assert.equal(stats.connected, true);
      assert.equal(stats.disconnects, 1);
      const warns = logger.lines.filter((l) => l.level === "warn");
      const infos = logger.lines.filter((l) => l.level === "info");
      assert.deepEqual(
        warns.map((l) => l.msg),
        ["nats: disconnected; pulling paused until the connection is back"],
      );
      assert.deepEqual(
        infos.map((l) => l.msg),
        ["nats: reconnected; pulling resumed"],
      );
    });

    it("fetches that keep failing are logged once, then once more when a fetch works again", async () => {
      const names = isolatedNames();
      const logger = recordingLogger();
      const b = await broker({ ...names, logger });
      await b.publish(encode("before"));
      (await pullCount(b, 1))[0]!.ack();

      // Someone deletes the consumer: every fetch fails until it exists again.
      const { nc, jsm } = await adminClient(server.url);
      try {
        await jsm.consumers.delete(names.stream, names.durable);
        await delay(3_500);
      } finally {
        await nc.close();
      }
      // Connecting another instance creates the consumer again.
      await (await NatsBroker.connect({ servers: server.url, ...names })).close();
      await b.publish(encode("after"));
      // A new consumer delivers the stream from the start: "before" comes again.
      const again = await pullCount(b, 2, 10_000);
      assert.deepEqual(
        again.map((m) => decode(m.data)),
        ["before", "after"],
      );
      for (const m of again) m.ack();

      const errors = logger.lines.filter((l) => l.level === "error");
      assert.deepEqual(
        errors.map((l) => l.msg),
        ["nats: fetch failed; retrying every second, logged again once a minute while it lasts"],
      );
      const recovered = logger.lines.filter((l) => l.msg.startsWith("nats: fetching again"));
      assert.equal(recovered.length, 1);
      const { failures } = recovered[0]!.obj as { failures: number };
      assert.ok(failures >= 2, `several fetches failed, one line said so (${failures})`);
    });

    it("natsServerStats() reads the same figures over its own connection", async () => {
      const names = isolatedNames();
      const b = await broker(names);
      for (let i = 0; i < 4; i++) await b.publish(encode(String(i)));
      const [m] = await pullCount(b, 1);
      m!.ack();
      await eventually(async () => (await b.serverStats()).ackFloor === 1, "the ack is stored");
      const figures = await natsServerStats({
        servers: server.url,
        stream: names.stream,
        durable: names.durable,
        deadLetterStream: names.deadLetterStream,
      });
      assert.equal(figures.stream, names.stream);
      assert.equal(figures.consumer, names.durable);
      assert.equal(figures.messages, 4);
      assert.equal(figures.lastSeq, 4);
      assert.equal(figures.ackFloor, 1);
      assert.equal(figures.deadLettered, 0);
      // Prefetched by the broker: delivered, not acked.
      assert.equal(figures.pending + figures.ackPending, 3);
      assert.deepEqual(Object.keys(figures).sort(), [
        "ackFloor",
        "ackPending",
        "consumer",
        "deadLettered",
        "lastSeq",
        "messages",
        "pending",
        "redelivered",
        "stream",
      ]);
    });
  },
);
