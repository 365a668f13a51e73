/**
 * Process-level faults with the real CLI (`dist/cli/main.js`) on a nats-server
 * the test starts itself: kill -9, SIGTERM, a broker restart, two instances on
 * one durable consumer, malformed payloads. Build first (`npm run build`).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import {
  DeadLetterHeader,
  natsServerStats,
  type NatsServerStats,
} from "../../src/broker/nats/index.js";
import { eventually, isolatedNames } from "../broker/nats-fixtures.js";
import { NatsServer, natsServerAvailable } from "../helpers/nats-server.js";
import {
  CLI,
  ackCounts,
  runCli,
  startMayhem,
  stop,
  streamMessageIds,
  topologyFlags,
  type Topology,
} from "./nats-process.js";

const available = natsServerAvailable();

/** Small latencies; in-flight bounded low so that a run lasts long enough to be interrupted. */
const SLOW_ENOUGH = ["--action-max-latency-ms", "50", "--max-in-flight", "5", "--seed", "7"];
const NO_FAILURES = ["--save-failure-probability", "0", "--restart-failure-probability", "0"];
/** The start line: logged just before the signal handlers are bound, in the same tick. */
const started = (l: { msg: string }): boolean => l.msg.startsWith("Mayhem Mandrill started");

describe(
  "mayhem CLI on NATS: process-level faults",
  { skip: available === true ? false : available, timeout: 90_000 },
  () => {
    let server: NatsServer;
    before(async () => {
      assert.ok(existsSync(CLI), `build first (npm run build): ${CLI} is missing`);
      server = await NatsServer.start();
    });
    after(async () => {
      await server?.dispose();
    });

    function topology(): Topology {
      const n = isolatedNames();
      return {
        url: server.url,
        stream: n.stream,
        subject: n.subject,
        durable: n.durable,
        deadLetterSubject: n.deadLetterSubject,
      };
    }

    async function publish(t: Topology, count: number): Promise<void> {
      const result = await runCli(["publish", ...topologyFlags(t), "--count", String(count)]);
      assert.equal(result.code, 0, result.stderr);
      const summary = JSON.parse(result.stdout) as { published: number };
      assert.equal(summary.published, count);
    }

    /** Waits until the consumer's ack floor reaches the last sequence with nothing pending. */
    async function settled(t: Topology, lastSeq: number): Promise<NatsServerStats> {
      let last: NatsServerStats | undefined;
      await eventually(
        async () => {
          last = await natsServerStats({
            servers: t.url,
            stream: t.stream,
            durable: t.durable,
            deadLetterStream: `${t.stream}_DEAD`,
          });
          return (
            last.lastSeq === lastSeq &&
            last.ackFloor === lastSeq &&
            last.pending === 0 &&
            last.ackPending === 0
          );
        },
        `every message is settled (last: ${JSON.stringify(last)})`,
        30_000,
      );
      return last!;
    }

    it("kill -9 mid-run, then a restart: every message ends acked, none lost, duplicates counted", async (t) => {
      const total = 300;
      const topo = topology();
      await publish(topo, total);
      const args = [
        ...SLOW_ENOUGH,
        "--ack-deadline-ms",
        "1000",
        "--extend-interval-ms",
        "300",
        "--nack-delay-ms",
        "0",
        "--save-failure-probability",
        "0.1",
        "--max-deliveries",
        "10",
      ];
      const first = startMayhem(topo, args);
      await first.waitFor(() => first.acked.size >= 50, "50 acks by the first instance");
      assert.equal((await stop(first, "SIGKILL")).signal, "SIGKILL");
      assert.ok(first.acked.size < total, "killed mid-run, not after the work was done");

      const second = startMayhem(topo, args);
      const stats = await settled(topo, total);
      assert.equal(stats.messages, total);
      // Under load the first can have done nearly everything: a SIGTERM before the
      // second binds its handlers would kill it outright.
      await second.waitFor(started, "the second instance's start line");
      assert.deepEqual(await stop(second), { code: 0, signal: null }, second.other);

      const ids = await streamMessageIds(topo, total);
      assert.equal(ids.size, total);
      const acks = ackCounts(first, second);
      const lost = [...ids].filter((id) => !acks.has(id));
      assert.deepEqual(lost, [], "every message acked at least once");
      // What the killed instance held but never acked came back to the second one.
      const held = [...first.pulled.keys()].filter((id) => !first.acked.has(id));
      assert.ok(held.length > 0, "the first instance was killed holding messages");
      for (const id of held) assert.ok(second.acked.has(id), `held message ${id} was finished`);
      // Whatever reached both instances came to the second as a redelivery of the same
      // stream message, counting on from the first's attempts: the server counted the
      // deliveries to the killed instance, and the broker passes its count through. A
      // message republished, or attempts restarting at 1, would fail here.
      let shared = 0;
      for (const [id, attempts] of second.pulled) {
        const before = first.pulled.get(id);
        if (before === undefined) continue;
        shared++;
        assert.ok(
          Math.min(...attempts) > Math.max(...before),
          `${id}: attempts ${JSON.stringify(before)} then ${JSON.stringify(attempts)}`,
        );
      }
      assert.ok(shared >= held.length, "every held message reached the second instance");
      const duplicates = [...acks.values()].filter((n) => n > 1).length;
      t.diagnostic(
        `kill -9: ${first.acked.size} acked before the kill, ${held.length} held; duplicates (acked twice): ${duplicates}`,
      );
    });

    it("SIGTERM mid-run nacks in-flight messages; a second instance gets them at once", async () => {
      const total = 300;
      const topo = topology();
      await publish(topo, total);
      // An ack wait far beyond the test: a redelivery here can only come from a nack.
      const args = [...SLOW_ENOUGH, ...NO_FAILURES, "--ack-deadline-ms", "120000"];
      const first = startMayhem(topo, args);
      await first.waitFor(() => first.acked.size >= 30, "30 acks by the first instance");
      const exit = await stop(first, "SIGTERM");
      assert.equal(exit.code, 0, first.other);
      const nacking = first.lines.find((l) => l.msg.startsWith("Nacking "));
      assert.ok(nacking !== undefined && typeof nacking.nacked === "number");
      const inFlightAtStop = [...first.pulled.keys()].filter((id) => !first.acked.has(id));
      assert.equal(inFlightAtStop.length, nacking.nacked, "the nacked count is what was in flight");
      assert.ok(inFlightAtStop.length > 0, "stopped with messages in flight");

      const second = startMayhem(topo, args);
      await settled(topo, total);
      await second.waitFor(started, "the second instance's start line");
      assert.deepEqual(await stop(second), { code: 0, signal: null }, second.other);
      // Each nacked message reached the second instance once, as its second delivery,
      // long before any ack wait: the first instance stopped fetching before it
      // nacked, so none came back to it to be handed back again (attempt 3).
      for (const id of inFlightAtStop) {
        assert.deepEqual(first.pulled.get(id), [1], `${id}: delivered once to the first`);
        assert.deepEqual(second.pulled.get(id), [2], `${id}: the second's delivery attempts`);
        assert.ok(second.acked.has(id));
      }
      const acks = ackCounts(first, second);
      assert.equal(acks.size, total);
      // A graceful stop loses no ack: nothing was done twice.
      assert.deepEqual(
        [...acks.values()].filter((n) => n > 1),
        [],
      );
    });

    it("broker restart mid-run: the service reconnects, logs once each way, and finishes", async () => {
      const total = 300;
      const topo = topology();
      await publish(topo, total);
      const args = [
        ...SLOW_ENOUGH,
        ...NO_FAILURES,
        "--ack-deadline-ms",
        "3000",
        "--extend-interval-ms",
        "500",
      ];
      const proc = startMayhem(topo, args);
      await proc.waitFor(() => proc.acked.size >= 30, "30 acks before the restart");
      await server.restart();
      await proc.waitFor((l) => l.msg.startsWith("nats: reconnected"), "the reconnect line");
      await settled(topo, total);
      assert.deepEqual(await stop(proc), { code: 0, signal: null }, proc.other);
      const disconnects = proc.lines.filter((l) => l.msg.startsWith("nats: disconnected"));
      const reconnects = proc.lines.filter((l) => l.msg.startsWith("nats: reconnected"));
      assert.equal(disconnects.length, 1);
      assert.equal(reconnects.length, 1);
      const ids = await streamMessageIds(topo, total);
      const acks = ackCounts(proc);
      assert.deepEqual(
        [...ids].filter((id) => !acks.has(id)),
        [],
        "none lost",
      );
    });

    it("two instances on one durable consumer both do work; every message is acked", async (t) => {
      const total = 300;
      const topo = topology();
      const args = [...SLOW_ENOUGH, ...NO_FAILURES, "--ack-deadline-ms", "30000"];
      const a = startMayhem(topo, args);
      const b = startMayhem(topo, args);
      await Promise.all([a.waitFor(started, "a starts"), b.waitFor(started, "b starts")]);
      await publish(topo, total);
      await settled(topo, total);
      assert.deepEqual(await stop(a), { code: 0, signal: null }, a.other);
      assert.deepEqual(await stop(b), { code: 0, signal: null }, b.other);
      assert.ok(a.acked.size > 0, "the first instance acked some");
      assert.ok(b.acked.size > 0, "the second instance acked some");
      const acks = ackCounts(a, b);
      assert.equal(acks.size, total);
      t.diagnostic(`shared: ${a.acked.size} + ${b.acked.size} acks`);
    });

    it("malformed payloads are terminated, logged with their reason, and counted as dead letters", async () => {
      const topo = topology();
      await publish(topo, 5); // creates the stream, and some valid work
      const malformed = [
        "not json",
        JSON.stringify({ messageId: "m-1" }),
        JSON.stringify({
          messageId: "m-2",
          instanceName: "web-1",
          publishedAt: new Date().toISOString(),
        }),
      ];
      const nc = await connect({ servers: topo.url });
      try {
        const js = jetstream(nc);
        for (const text of malformed)
          await js.publish(topo.subject, new TextEncoder().encode(text));
      } finally {
        await nc.close();
      }
      const total = 5 + malformed.length;

      const proc = startMayhem(topo, [...SLOW_ENOUGH, ...NO_FAILURES]);
      await proc.waitFor(started, "the start line");
      await settled(topo, total);
      assert.deepEqual(await stop(proc), { code: 0, signal: null }, proc.other);
      const terminated = proc.lines.filter((l) => l.msg.startsWith("Terminated malformed message"));
      assert.equal(terminated.length, malformed.length);
      assert.equal(proc.acked.size, 5);
      const flushed = proc.lines.find((l) => l.msg === "Flushing metrics") as
        { stats: { malformed: number } } | undefined;
      assert.equal(flushed?.stats.malformed, malformed.length);

      // `mayhem stats` counts them as dead letters.
      const stats = await runCli(["stats", ...topologyFlags(topo)]);
      assert.equal(stats.code, 0, stats.stderr);
      const figures = JSON.parse(stats.stdout) as NatsServerStats;
      assert.equal(figures.deadLettered, malformed.length);
      assert.equal(figures.ackFloor, total);

      // Each dead letter keeps the payload and the reason the service logged.
      const admin = await connect({ servers: topo.url });
      try {
        const jsm = await jetstreamManager(admin);
        const reasons = [];
        for (let seq = 1; seq <= malformed.length; seq++) {
          const dead = await jsm.streams.getMessage(`${topo.stream}_DEAD`, { seq });
          assert.ok(dead !== null, `dead letter ${seq} is stored`);
          reasons.push(dead.header.get(DeadLetterHeader.reason));
        }
        assert.deepEqual(reasons.sort(), terminated.map((l) => String(l.reason)).sort());
      } finally {
        await admin.close();
      }
    });
  },
);
