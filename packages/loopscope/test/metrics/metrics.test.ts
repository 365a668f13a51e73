import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { Registry } from "prom-client";
import {
  OTEL_NAMES,
  PROMETHEUS_NAMES,
  STATSD_NAMES,
  checkExporterPackages,
  startMetrics,
} from "../../src/metrics/index.js";
import { loopBlockedStats, startWatchdog } from "../../src/watchdog/index.js";

function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

/**
 * Block the loop once, then wait until the heartbeat has beaten after it (the block's delay
 * is recorded by the beat that came late, or by the one that ended idle mode) and the
 * watchdog has counted it. Under load the watchdog may count the block before the loop
 * turns, so its count alone does not say the histogram has it.
 */
async function blockOnce(ms: number): Promise<void> {
  const before = loopBlockedStats().count;
  busy(ms);
  await sleep(30);
  while (loopBlockedStats().count === before) await sleep(5);
}

/** A listening StatsD: every datagram's lines, parsed as `name:value|type`. */
async function statsdListener() {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const received = new Map<string, { value: number; type: string }>();
  let wake: (() => void) | undefined;
  socket.on("message", (datagram) => {
    for (const line of datagram.toString("utf8").split("\n")) {
      const match = /^([^:]+):([^|]+)\|(\w+)/.exec(line);
      if (match) received.set(match[1]!, { value: Number(match[2]), type: match[3]! });
    }
    wake?.();
  });
  return {
    port: socket.address().port,
    received,
    async waitFor(name: string) {
      while (!received.has(name)) await new Promise<void>((resolve) => (wake = resolve));
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

describe("loop metrics", () => {
  it("arrive over real UDP at a StatsD listener, per interval", async () => {
    const listener = await statsdListener();
    const statsd = { host: "127.0.0.1", port: listener.port, prefix: "app.loop." };
    // hot-shots loads on first use (an optional peer), as start() loads it: before the
    // watchdog starts, or loading it cold would count as a block of its own.
    checkExporterPackages({ statsd });
    const watchdog = startWatchdog({ slowMs: 50 });
    const metrics = startMetrics({ metricsIntervalMs: 60_000, statsd });
    try {
      // One interval, from startMetrics to collect(): one datagram. Let the heartbeat beat
      // before blocking.
      await sleep(40);
      await blockOnce(120);
      const sample = metrics.collect();
      await listener.waitFor(`app.loop.${STATSD_NAMES.blockedCount}`);
      const got = (key: keyof typeof STATSD_NAMES) =>
        listener.received.get(`app.loop.${STATSD_NAMES[key]}`);
      // At least our block: on a loaded machine the watchdog also counts a block of the
      // test process's own now and then (2 seen), so the count checked on the wire is
      // the sample's.
      assert.ok(sample.blockedCount >= 1, `blocked count ${sample.blockedCount}`);
      assert.deepEqual(got("blockedCount"), { value: sample.blockedCount, type: "c" });
      assert.equal(got("delayMax")?.type, "g");
      assert.ok(
        got("delayMax")!.value >= 50,
        `max delay ${got("delayMax")?.value} ms after a 120 ms block`,
      );
      assert.equal(got("utilization")?.type, "g");
      assert.equal(got("blockedTime")?.value, Math.round(sample.blockedMs * 1000) / 1000);
    } finally {
      await metrics.stop();
      await watchdog.stop();
      await listener.close();
    }
  });

  it("are served at /metrics for a real scrape, behind the bearer token when one is set", async () => {
    const watchdog = startWatchdog({ slowMs: 50 });
    const metrics = startMetrics({
      metricsIntervalMs: 60_000,
      prometheus: { host: "127.0.0.1", port: 0, token: "s3cret" },
    });
    try {
      const url = await metrics.prometheusUrl!;
      metrics.collect();
      await blockOnce(120);
      metrics.collect();
      assert.equal((await fetch(url)).status, 401);
      const response = await fetch(url, { headers: { authorization: "Bearer s3cret" } });
      assert.equal(response.status, 200);
      const body = await response.text();
      for (const name of Object.values(PROMETHEUS_NAMES)) {
        if (name !== PROMETHEUS_NAMES.tasksPending)
          assert.match(body, new RegExp(`^${name} `, "m"), name);
      }
      assert.match(body, new RegExp(`^${PROMETHEUS_NAMES.blockedCount} 1$`, "m"));
      assert.equal((await fetch(url.replace("/metrics", "/other"))).status, 404);
    } finally {
      await metrics.stop();
      await watchdog.stop();
    }
  });

  it("measure utilisation per interval, not since the start", async () => {
    const metrics = startMetrics({ metricsIntervalMs: 60_000 });
    try {
      metrics.collect();
      busy(150);
      const busyInterval = metrics.collect();
      await sleep(150);
      const idleInterval = metrics.collect();
      assert.ok(busyInterval.utilization > 0.5, `busy interval ${busyInterval.utilization}`);
      assert.ok(idleInterval.utilization < 0.5, `idle interval ${idleInterval.utilization}`);
      assert.equal(metrics.latest(), idleInterval);
    } finally {
      await metrics.stop();
    }
  });

  it("register into an application's own prom-client registry, and leave it at stop", async () => {
    const registry = new Registry();
    const metrics = startMetrics({ metricsIntervalMs: 60_000, registry });
    metrics.collect();
    const json = await registry.getMetricsAsJSON();
    assert.ok(json.some((metric) => metric.name === PROMETHEUS_NAMES.utilization));
    await metrics.stop();
    assert.equal((await registry.getMetricsAsJSON()).length, 0);
  });

  it("publish through an OpenTelemetry meter provider", async () => {
    class TestReader extends MetricReader {
      protected onForceFlush(): Promise<void> {
        return Promise.resolve();
      }
      protected onShutdown(): Promise<void> {
        return Promise.resolve();
      }
    }
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const metrics = startMetrics({ metricsIntervalMs: 60_000, meterProvider: provider });
    try {
      metrics.collect();
      const { resourceMetrics } = await reader.collect();
      const names = resourceMetrics.scopeMetrics.flatMap((scope) =>
        scope.metrics.map((m) => m.descriptor.name),
      );
      assert.ok(names.includes(OTEL_NAMES.delayP99), names.join(", "));
      assert.ok(names.includes(OTEL_NAMES.utilization));
      assert.ok(names.includes(OTEL_NAMES.blockedCount));
    } finally {
      await metrics.stop();
      await provider.shutdown();
    }
  });

  it("reject bad options with TypeErrors naming the option", () => {
    assert.throws(
      () => startMetrics({ metricsIntervalMs: -1 }),
      /options\.metricsIntervalMs .* got -1/,
    );
    assert.throws(
      () => startMetrics({ statsd: { host: "127.0.0.1", port: 70000 } }),
      /options\.statsd\.port .* got 70000/,
    );
    assert.throws(
      () => startMetrics({ prometheus: { host: "0.0.0.0", port: 0 } }),
      /options\.host must be a loopback address .* got "0\.0\.0\.0"/,
    );
  });

  it("never keep the process alive", async () => {
    const fixture = fileURLToPath(
      new URL("../fixtures/watchdog/metrics-forgotten.js", import.meta.url),
    );
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>(
      (resolve) => {
        execFile(process.execPath, [fixture], { timeout: 30_000 }, (error, out) =>
          resolve({
            code: error === null ? 0 : typeof error.code === "number" ? error.code : null,
            stdout: out,
          }),
        );
      },
    );
    assert.equal(code, 0);
    assert.match(stdout, /^done http:\/\/127\.0\.0\.1:\d+\/metrics/);
  });
});
