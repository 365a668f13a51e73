/**
 * The NatsBroker's lifecycle on a real nats-server: close(), closed(),
 * [Symbol.asyncDispose], and a connection lost for good (the server comes back
 * on the same port refusing the client's credentials, so the client gives up).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BrokerClosedError, BrokerError } from "../../src/broker/index.js";
import { NatsBroker } from "../../src/broker/nats/index.js";
import { ErrorCode } from "../../src/errors/index.js";
import {
  NatsServer,
  freePort,
  launchNatsServer,
  natsServerAvailable,
  terminate,
} from "../helpers/nats-server.js";
import { encode, isolatedNames, pullCount } from "./nats-fixtures.js";

const available = natsServerAvailable();

/** Whether `promise` has settled, checked after the pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return done;
}

describe(
  "NatsBroker lifecycle",
  { skip: available === true ? false : available, timeout: 60_000 },
  () => {
    let server: NatsServer;
    before(async () => {
      server = await NatsServer.start();
    });
    after(async () => {
      await server?.dispose();
    });

    it("closed() stays pending while open, resolves undefined after close(), and is the same promise", async () => {
      const broker = await NatsBroker.connect({ servers: server.url, ...isolatedNames() });
      const closed = broker.closed();
      try {
        await broker.publish(encode("m"));
        const [message] = await pullCount(broker, 1);
        message!.ack();
        await broker.stopPulling();
        assert.equal(await settled(closed), false, "stopPulling() does not close");
      } finally {
        await broker.close();
      }
      assert.equal(await closed, undefined);
      assert.equal(broker.closed(), closed);
    });

    it("[Symbol.asyncDispose] closes it: pulls resolve [], publishes reject, closed() resolves", async () => {
      const broker = await NatsBroker.connect({ servers: server.url, ...isolatedNames() });
      await broker[Symbol.asyncDispose]();
      assert.equal(await broker.closed(), undefined);
      assert.deepEqual(await broker.pull({ max: 1, expiresMs: 1_000 }), []);
      await assert.rejects(broker.publish(encode("late")), BrokerClosedError);
      await broker[Symbol.asyncDispose](); // idempotent, like close()
    });

    it("a connection lost for good: closed() resolves with a BrokerError, publishes reject, pulls wait until close()", async () => {
      const port = await freePort();
      const store = await mkdtemp(join(tmpdir(), "mayhem-nats-lost-"));
      let open = await launchNatsServer(port, ["-js", "-sd", store]);
      try {
        const broker = await NatsBroker.connect({
          servers: `nats://127.0.0.1:${port}`,
          ...isolatedNames(),
          reconnectTimeWaitMs: 50,
        });
        try {
          const waiting = broker.pull({ max: 1 }); // no expiry: only closing ends it
          await terminate(open);
          // Back on the same port, but refusing this client: it gives up reconnecting.
          open = await launchNatsServer(port, ["--user", "someone", "--pass", "else"]);
          const reason = await broker.closed();
          assert.ok(reason instanceof BrokerError, `closed() resolved with ${String(reason)}`);
          assert.equal(reason.code, ErrorCode.brokerClosed);
          assert.ok(reason.cause instanceof Error, "the client's error is the cause");
          await assert.rejects(broker.publish(encode("late")), BrokerClosedError);
          assert.equal(broker.stats().connected, false);
          // Pulls do not resolve [] at once (a loop on pull() would spin): they wait,
          // as while disconnected, for their expiry or abort...
          assert.deepEqual(await broker.pull({ max: 1, expiresMs: 200 }), []);
          assert.equal(await settled(waiting), false, "still waiting");
          // ...until close() ends them; then pulls resolve [] as on any closed broker.
          await broker.close();
          assert.deepEqual(await waiting, []);
          assert.deepEqual(await broker.pull({ max: 1 }), []);
          assert.equal(await broker.closed(), reason, "closed() keeps its reason");
        } finally {
          await broker.close();
        }
      } finally {
        await terminate(open);
        await rm(store, { recursive: true, force: true });
      }
    });
  },
);
