import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { LoopscopeConfigError, configFromEnv } from "../../src/config/index.js";

/** Assert that `env` is refused with a message naming `variable` and the value. */
function assertRefused(env: NodeJS.ProcessEnv, variable: string, message: string): void {
  assert.throws(
    () => configFromEnv(env),
    (err: unknown) => {
      assert.ok(err instanceof LoopscopeConfigError);
      assert.equal(err.code, "LOOPSCOPE_ERR_CONFIG");
      assert.equal(err.variable, variable);
      assert.equal(err.message, message);
      return true;
    },
  );
}

describe("configFromEnv", () => {
  const folder = mkdtempSync(join(tmpdir(), "loopscope-config-"));
  const eventsFile = join(folder, "events.jsonl");
  after(() => rmSync(folder, { recursive: true, force: true }));

  it("has defaults for an empty environment", () => {
    assert.deepEqual(configFromEnv({}), { debug: false, slowMs: 100, metricsIntervalMs: 10_000 });
  });

  it("reads every variable", () => {
    assert.deepEqual(
      configFromEnv({
        LOOPSCOPE_DEBUG: "1",
        LOOPSCOPE_SLOW_MS: "50",
        LOOPSCOPE_EVENTS: eventsFile,
        LOOPSCOPE_STATSD: "statsd.internal:8125",
        LOOPSCOPE_STATSD_PREFIX: "mayhem.",
        LOOPSCOPE_PROMETHEUS: "127.0.0.1:9464",
        LOOPSCOPE_METRICS_INTERVAL_MS: "5000",
      }),
      {
        debug: true,
        slowMs: 50,
        eventsFile,
        statsd: { host: "statsd.internal", port: 8125, prefix: "mayhem." },
        prometheus: { host: "127.0.0.1", port: 9464 },
        metricsIntervalMs: 5000,
      },
    );
  });

  it("accepts the spellings of a boolean and treats empty as unset", () => {
    assert.equal(configFromEnv({ LOOPSCOPE_DEBUG: "true" }).debug, true);
    assert.equal(configFromEnv({ LOOPSCOPE_DEBUG: "FALSE" }).debug, false);
    assert.equal(configFromEnv({ LOOPSCOPE_DEBUG: "0" }).debug, false);
    assert.equal(configFromEnv({ LOOPSCOPE_SLOW_MS: "" }).slowMs, 100);
  });

  it("defaults the StatsD prefix and reads IPv6 loopback for Prometheus", () => {
    assert.deepEqual(configFromEnv({ LOOPSCOPE_STATSD: "localhost:8125" }).statsd, {
      host: "localhost",
      port: 8125,
      prefix: "loopscope.",
    });
    assert.deepEqual(configFromEnv({ LOOPSCOPE_PROMETHEUS: "[::1]:9464" }).prometheus, {
      host: "::1",
      port: 9464,
    });
  });

  it("refuses a bad LOOPSCOPE_DEBUG", () => {
    assertRefused(
      { LOOPSCOPE_DEBUG: "yes" },
      "LOOPSCOPE_DEBUG",
      'LOOPSCOPE_DEBUG must be 1, 0, true or false, got "yes"',
    );
  });

  it("refuses a LOOPSCOPE_SLOW_MS that is not a positive integer", () => {
    for (const value of ["abc", "0", "-5", "1.5", "12ms", "1e3"]) {
      assertRefused(
        { LOOPSCOPE_SLOW_MS: value },
        "LOOPSCOPE_SLOW_MS",
        `LOOPSCOPE_SLOW_MS must be a positive integer, got ${JSON.stringify(value)}`,
      );
    }
  });

  it("refuses a bad LOOPSCOPE_METRICS_INTERVAL_MS", () => {
    assertRefused(
      { LOOPSCOPE_METRICS_INTERVAL_MS: "soon" },
      "LOOPSCOPE_METRICS_INTERVAL_MS",
      'LOOPSCOPE_METRICS_INTERVAL_MS must be a positive integer, got "soon"',
    );
  });

  it("refuses a LOOPSCOPE_STATSD that is not host:port", () => {
    for (const value of ["statsd", "statsd:", "statsd:99999", ":8125"]) {
      assertRefused(
        { LOOPSCOPE_STATSD: value },
        "LOOPSCOPE_STATSD",
        `LOOPSCOPE_STATSD must be host:port with a port from 1 to 65535, got ${JSON.stringify(value)}`,
      );
    }
  });

  it("refuses a remote LOOPSCOPE_PROMETHEUS unless allowed", () => {
    assert.throws(
      () => configFromEnv({ LOOPSCOPE_PROMETHEUS: "0.0.0.0:9464" }),
      /LOOPSCOPE_PROMETHEUS must be a loopback host:port .*LOOPSCOPE_PROMETHEUS_ALLOW_REMOTE=1.*got "0\.0\.0\.0:9464"/,
    );
    assert.deepEqual(
      configFromEnv({
        LOOPSCOPE_PROMETHEUS: "0.0.0.0:9464",
        LOOPSCOPE_PROMETHEUS_ALLOW_REMOTE: "1",
      }).prometheus,
      { host: "0.0.0.0", port: 9464 },
    );
    assertRefused(
      { LOOPSCOPE_PROMETHEUS: "127.0.0.1:9464", LOOPSCOPE_PROMETHEUS_ALLOW_REMOTE: "sure" },
      "LOOPSCOPE_PROMETHEUS_ALLOW_REMOTE",
      'LOOPSCOPE_PROMETHEUS_ALLOW_REMOTE must be 1, 0, true or false, got "sure"',
    );
  });

  it("reads LOOPSCOPE_INSPECT as [host:]port, port 0 for a free one, on 127.0.0.1 unless a host is given", () => {
    assert.deepEqual(configFromEnv({ LOOPSCOPE_INSPECT: "0" }).inspect, {
      host: "127.0.0.1",
      port: 0,
    });
    assert.deepEqual(configFromEnv({ LOOPSCOPE_INSPECT: "9300" }).inspect, {
      host: "127.0.0.1",
      port: 9300,
    });
    assert.deepEqual(configFromEnv({ LOOPSCOPE_INSPECT: "0.0.0.0:80" }).inspect, {
      host: "0.0.0.0",
      port: 80,
    });
    assert.deepEqual(configFromEnv({ LOOPSCOPE_INSPECT: "[::1]:0" }).inspect, {
      host: "::1",
      port: 0,
    });
    assert.equal(configFromEnv({}).inspect, undefined);
    for (const bad of ["abc", "70000", "host:", ":90", "1.2.3.4:-1"]) {
      assertRefused(
        { LOOPSCOPE_INSPECT: bad },
        "LOOPSCOPE_INSPECT",
        `LOOPSCOPE_INSPECT must be [host:]port with a port from 0 (any free one) to 65535, got ${JSON.stringify(bad)}`,
      );
    }
  });

  it("reads LOOPSCOPE_TOKEN and LOOPSCOPE_INSPECT_CONTROL, and never echoes a bad token", () => {
    const token = "a-token_of.24~characters";
    assert.equal(configFromEnv({ LOOPSCOPE_TOKEN: token }).inspectToken, token);
    assert.equal(configFromEnv({ LOOPSCOPE_INSPECT_CONTROL: "1" }).inspectControl, true);
    assert.equal(configFromEnv({}).inspectControl, undefined);
    for (const bad of ["short", "has spaces in it, sixteen+", "x".repeat(257)]) {
      assert.throws(
        () => configFromEnv({ LOOPSCOPE_TOKEN: bad }),
        (error: Error) => error.message.includes("LOOPSCOPE_TOKEN") && !error.message.includes(bad),
      );
    }
  });

  it("reads LOOPSCOPE_RECORDER_SECONDS, 0 turning the recorder off, and refuses the rest", () => {
    assert.equal(configFromEnv({}).recorderSeconds, undefined);
    assert.equal(configFromEnv({ LOOPSCOPE_RECORDER_SECONDS: "30" }).recorderSeconds, 30);
    assert.equal(configFromEnv({ LOOPSCOPE_RECORDER_SECONDS: "0" }).recorderSeconds, 0);
    for (const bad of ["-1", "1.5", "ten", "3601"]) {
      assertRefused(
        { LOOPSCOPE_RECORDER_SECONDS: bad },
        "LOOPSCOPE_RECORDER_SECONDS",
        `LOOPSCOPE_RECORDER_SECONDS must be an integer from 0 to 3600, got ${JSON.stringify(bad)}`,
      );
    }
  });

  it("refuses a LOOPSCOPE_EVENTS that cannot be appended to, naming the variable", () => {
    const missing = join(folder, "no-such-folder", "events.jsonl");
    assertRefused(
      { LOOPSCOPE_EVENTS: missing },
      "LOOPSCOPE_EVENTS",
      `LOOPSCOPE_EVENTS must be a file path in an existing, writable folder (ENOENT), got ${JSON.stringify(missing)}`,
    );
    assertRefused(
      { LOOPSCOPE_EVENTS: folder },
      "LOOPSCOPE_EVENTS",
      `LOOPSCOPE_EVENTS must be a file path, not a folder, got ${JSON.stringify(folder)}`,
    );
  });
});
