import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Broker, BrokerMessage, PullOptions } from "../../src/broker/index.js";
import { MemoryBroker } from "../../src/broker/index.js";
import { defaultConfig } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/index.js";
import {
  DeliveryDispatcher,
  Publisher,
  ServiceStats,
  createRandom,
  runService,
  yieldSleeper,
} from "../../src/service/index.js";

const CHILD = fileURLToPath(new URL("fixtures/start-and-stop.ts", import.meta.url));

/** A broker whose pulls wait until their signal aborts; it counts the pulls started. */
class IdleBroker implements Broker {
  readonly kind = "idle";
  pulls = 0;
  published = 0;
  publish(): Promise<void> {
    this.published++;
    return Promise.resolve();
  }
  pull(options: PullOptions): Promise<BrokerMessage[]> {
    this.pulls++;
    return new Promise((resolve) => {
      options.signal?.addEventListener("abort", () => resolve([]), { once: true });
    });
  }
  stopPulling(): Promise<void> {
    return Promise.resolve();
  }
  stats() {
    return new MemoryBroker().stats();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  closed(): Promise<void | Error> {
    return Promise.resolve();
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

function dispatcherOn(broker: Broker): DeliveryDispatcher {
  return new DeliveryDispatcher({
    broker,
    handler: () => Promise.resolve(),
    sleeper: yieldSleeper,
    stats: new ServiceStats(),
    log: undefined,
  });
}

function publisherOn(broker: Broker, count?: number): Publisher {
  return new Publisher({
    broker,
    ...(count === undefined ? {} : { count }),
    intervalMs: 0,
    random: createRandom(1),
    sleeper: yieldSleeper,
    stats: new ServiceStats(),
    log: undefined,
  });
}

describe("DeliveryDispatcher start and stop", () => {
  it("runs one pull loop however many times start() is called", async () => {
    const broker = new IdleBroker();
    const dispatcher = dispatcherOn(broker);
    dispatcher.start();
    dispatcher.start();
    await turns(5);
    assert.equal(broker.pulls, 1);
    assert.equal(dispatcher.pulling, true);
    await dispatcher.stopPulling();
    assert.equal(dispatcher.pulling, false);
  });

  it("never pulls when stopped before it starts", async () => {
    const broker = new IdleBroker();
    const dispatcher = dispatcherOn(broker);
    await dispatcher.stopPulling();
    dispatcher.start();
    await dispatcher.stopPulling();
    assert.equal(broker.pulls, 0);
  });
});

describe("Publisher start and stop", () => {
  it("returns the one running loop from every start()", async () => {
    const publisher = publisherOn(new IdleBroker());
    const first = publisher.start();
    assert.equal(publisher.start(), first);
    await publisher.stop();
    await first;
  });

  it("publishes nothing when stopped before it starts", async () => {
    const broker = new IdleBroker();
    const publisher = publisherOn(broker, 10);
    await publisher.stop();
    await publisher.start();
    assert.equal(broker.published, 0);
  });
});

describe("service start and stop", () => {
  const config = { ...defaultConfig(), seed: 5, nackDelayMs: 0, logLevel: "silent" as const };

  it("shuts down once: a second shutdown joins the first, and closed resolves with its result", async () => {
    const service = runService(config, new MemoryBroker(), silentLogger(), {
      sleeper: yieldSleeper,
      quiet: true,
    });
    await turns(20);
    const first = service.shutdown("first");
    const second = service.shutdown("second");
    assert.equal(second, first);
    const result = await first;
    assert.equal(result.reason, "first");
    assert.equal(await service.closed, result);
    assert.equal(await service.shutdown("third"), result);
  });

  it("stops cleanly when shutdown comes in the same turn as the start", async () => {
    const broker = new MemoryBroker();
    const service = runService(config, broker, silentLogger(), {
      sleeper: yieldSleeper,
      quiet: true,
    });
    const result = await service.shutdown("at once");
    assert.equal(result.error, undefined);
    assert.equal(service.inFlight, 0);
    await service.published;
    const stats = broker.stats();
    assert.equal(stats.outstanding, 0, "nothing left leased");
    assert.equal(stats.acked + stats.pending, stats.published, "every message acked or stored");
  });

  for (const when of ["at-once", "after-work"]) {
    it(`leaves nothing behind: a process that starts and stops it (${when}) exits on its own`, async () => {
      const { code, signal, stdout, stderr } = await new Promise<{
        code: number | null;
        signal: NodeJS.Signals | null;
        stdout: string;
        stderr: string;
      }>((resolve) => {
        // The kill is only a backstop for a process kept alive: the assertion is how it ended.
        const child = execFile(
          process.execPath,
          ["--import", "tsx", CHILD, when],
          { timeout: 60_000, killSignal: "SIGKILL" },
          (_error, stdout, stderr) =>
            resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr }),
        );
      });
      assert.equal(signal, null, `the process was still alive and had to be killed: ${stderr}`);
      assert.equal(code, 0, stderr);
      const result = JSON.parse(stdout) as { reason: string; pulled: number; error: string };
      assert.equal(result.reason, when);
      assert.equal(result.error, "undefined");
      if (when === "after-work") assert.ok(result.pulled >= 20);
    });
  }
});
