/**
 * Process-level faults on the NATS broker: a consumer process killed with
 * SIGKILL, and one stopped with SIGTERM, then a second consumer finishing the
 * work. The consumer is test/broker/nats-worker.ts (the service's CLI takes its
 * place once wired).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { NatsBroker, type NatsBrokerOptions } from "../../src/broker/nats/index.js";
import { NatsServer, natsServerAvailable } from "../helpers/nats-server.js";
import { allSettled, encode, eventually, isolatedNames } from "./nats-fixtures.js";

const available = natsServerAvailable();
const worker = fileURLToPath(new URL("./nats-worker.ts", import.meta.url));

/** A worker process and the ids it reported acked. */
interface Worker {
  readonly child: ChildProcess;
  readonly acked: Set<string>;
  output: string;
}

function startWorker(options: NatsBrokerOptions): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", worker], {
    env: { ...process.env, MAYHEM_TEST_NATS: JSON.stringify(options) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const w: Worker = { child, acked: new Set(), output: "" };
  let partial = "";
  child.stdout.on("data", (chunk: Buffer) => {
    w.output += chunk.toString();
    partial += chunk.toString();
    const lines = partial.split("\n");
    partial = lines.pop()!;
    for (const line of lines) if (line.startsWith("acked ")) w.acked.add(line.slice(6));
  });
  child.stderr.on("data", (chunk: Buffer) => {
    w.output += chunk.toString();
  });
  return w;
}

async function publishAll(options: NatsBrokerOptions, total: number): Promise<void> {
  const publisher = await NatsBroker.connect(options);
  try {
    await Promise.all(
      Array.from({ length: total }, (_, i) => publisher.publish(encode(String(i)))),
    );
  } finally {
    await publisher.close();
  }
}

/** Pulls and acks until the stream is fully acked; returns the ids seen and how many came as redeliveries. */
async function finishWork(
  b: NatsBroker,
  total: number,
): Promise<{ ids: Set<string>; redeliveries: number }> {
  const ids = new Set<string>();
  let redeliveries = 0;
  for (;;) {
    const stats = await b.serverStats();
    if (stats.ackFloor === total && stats.ackPending === 0 && stats.pending === 0) break;
    for (const m of await b.pull({ max: 50, expiresMs: 300 })) {
      ids.add(m.id);
      if (m.deliveryAttempt > 1) redeliveries++;
      m.ack();
    }
  }
  return { ids, redeliveries };
}

describe(
  "NatsBroker faults across processes",
  { skip: available === true ? false : available },
  () => {
    let server: NatsServer;
    before(async () => {
      server = await NatsServer.start();
    });
    after(async () => {
      await server.dispose();
    });

    it("kill -9 mid-run: a restarted consumer acks everything; none lost, duplicates counted", async () => {
      const total = 200;
      const options = { servers: server.url, ...isolatedNames(), ackWaitMs: 1_000, prefetch: 32 };
      await publishAll(options, total);
      const first = startWorker(options);
      await eventually(
        () => first.acked.size >= 30,
        `the worker acks some (output: ${first.output})`,
      );
      first.child.kill("SIGKILL");
      const [, signal] = (await once(first.child, "exit")) as [
        number | null,
        NodeJS.Signals | null,
      ];
      assert.equal(signal, "SIGKILL");
      assert.ok(first.acked.size < total, "killed mid-run, not after the work was done");

      const second = await NatsBroker.connect(options);
      try {
        const { ids, redeliveries } = await finishWork(second, total);
        const stats = await allSettled(second, total);
        assert.equal(stats.messages, total);
        const everyId = new Set([...first.acked, ...ids]);
        assert.equal(everyId.size, total, "every message was acked by one of the two");
        // What the killed worker held (in flight and prefetched) came back after the ack wait.
        assert.ok(redeliveries > 0, "the killed worker's leases were redelivered");
        const duplicates = [...ids].filter((id) => first.acked.has(id)).length;
        // Allowed (an ack lost with the process); counted, and never more than the worker held.
        assert.ok(duplicates <= 8 + 32, `duplicates: ${duplicates}`);
      } finally {
        await second.close();
      }
    });

    it("SIGTERM mid-run nacks in-flight and prefetched messages: a second instance gets them at once", async () => {
      const total = 200;
      // An ack wait far longer than the test: anything the second instance gets came from a nack.
      const options = { servers: server.url, ...isolatedNames(), ackWaitMs: 120_000, prefetch: 32 };
      await publishAll(options, total);
      const first = startWorker(options);
      await eventually(
        () => first.acked.size >= 30,
        `the worker acks some (output: ${first.output})`,
      );
      first.child.kill("SIGTERM");
      const [code] = (await once(first.child, "exit")) as [number | null];
      assert.equal(code, 0, first.output);
      assert.match(first.output, /nacked \d+/);

      const second = await NatsBroker.connect(options);
      try {
        const { ids } = await finishWork(second, total);
        await allSettled(second, total);
        const everyId = new Set([...first.acked, ...ids]);
        assert.equal(everyId.size, total);
        // A graceful stop loses no acks: nothing is done twice.
        assert.equal([...ids].filter((id) => first.acked.has(id)).length, 0);
      } finally {
        await second.close();
      }
    });
  },
);
