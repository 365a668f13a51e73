import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, KNOBS, defaultConfig, resolveConfig } from "../../src/config/index.js";

describe("knobs", () => {
  it("gives every knob a flag and a MAYHEM_ environment variable derived from its key", () => {
    for (const knob of KNOBS) {
      assert.match(knob.flag, /^--[a-z]+(-[a-z]+)*$/);
      assert.equal(knob.env, `MAYHEM_${knob.flag.slice(2).replace(/-/g, "_").toUpperCase()}`);
    }
    assert.ok(KNOBS.some((k) => k.env === "MAYHEM_MAX_IN_FLIGHT"));
  });

  it("uses the defaults, then the environment, then the flag", () => {
    assert.deepEqual(resolveConfig({}, {}), defaultConfig());
    assert.equal(resolveConfig({}, {}).maxInFlight, 1000);
    assert.equal(resolveConfig({}, { MAYHEM_MAX_IN_FLIGHT: "50" }).maxInFlight, 50);
    assert.equal(
      resolveConfig({ maxInFlight: "7" }, { MAYHEM_MAX_IN_FLIGHT: "50" }).maxInFlight,
      7,
    );
    assert.equal(resolveConfig({ seed: "3" }, {}).seed, 3);
    assert.equal(resolveConfig({ publishCount: "unlimited" }, {}).publishCount, undefined);
    assert.equal(resolveConfig({ saveFailureProbability: "0.5" }, {}).saveFailureProbability, 0.5);
    assert.equal(resolveConfig({ logFormat: "JSON" }, {}).logFormat, "json");
  });

  it("rejects invalid values naming the flag or variable and the value", () => {
    const cases: [Parameters<typeof resolveConfig>[0], NodeJS.ProcessEnv, RegExp][] = [
      [{ maxInFlight: "abc" }, {}, /--max-in-flight: "abc" \(expected an integer between 1/],
      [{ maxInFlight: "-3" }, {}, /--max-in-flight: "-3"/],
      [{ maxInFlight: "1.5" }, {}, /--max-in-flight: "1.5"/],
      [
        {},
        { MAYHEM_ACK_DEADLINE_MS: "soon" },
        /environment variable MAYHEM_ACK_DEADLINE_MS: "soon"/,
      ],
      [
        { saveFailureProbability: "2" },
        {},
        /--save-failure-probability: "2" \(expected a number between 0 and 1\)/,
      ],
      [{ logLevel: "loud" }, {}, /--log-level: "loud" \(expected one of fatal, error/],
      [
        { seed: "x" },
        {},
        /--seed: "x" \(expected an integer between 0 and 4294967295, or "none"\)/,
      ],
      [
        { extendIntervalMs: "20000" },
        {},
        /--extend-interval-ms: "20000" \(expected less than the ack deadline, 10000 ms\)/,
      ],
    ];
    for (const [flags, env, message] of cases) {
      assert.throws(
        () => resolveConfig(flags, env),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
        `expected ${String(message)}`,
      );
    }
  });
});
