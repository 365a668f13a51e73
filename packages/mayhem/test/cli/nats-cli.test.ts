/**
 * The NATS side of the command line without a server: bad values, commands
 * that need a shared broker, and a server that is not there.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { before, describe, it } from "node:test";
import { freePort } from "../helpers/nats-server.js";
import { CLI, runCli } from "./nats-process.js";

describe("mayhem CLI: NATS options (built)", { timeout: 30_000 }, () => {
  let nowhere: string;
  before(async () => {
    assert.ok(existsSync(CLI), `build first (npm run build): ${CLI} is missing`);
    // A port nothing listens on.
    nowhere = `nats://127.0.0.1:${await freePort()}`;
  });

  it("a bad --broker is a usage error (exit 2) naming the flag and the value", async () => {
    const result = await runCli(["run", "--broker", "redis://x:1"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /invalid value for --broker: "redis:\/\/x:1"/);
    assert.match(result.stderr, /nats:\/\/127\.0\.0\.1:4222/);
  });

  it("a bad NATS name is a usage error naming the flag", async () => {
    const result = await runCli(["stats", "--broker", nowhere, "--nats-stream", "a.b"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /invalid value for --nats-stream: "a\.b"/);
  });

  it("publish and stats refuse the memory broker with a usage error", async () => {
    for (const args of [["publish", "--count", "1"], ["stats"]]) {
      const result = await runCli(args, { MAYHEM_BROKER: "memory" });
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, /invalid value for --broker: "memory".*works on a shared broker/);
    }
  });

  it("MAYHEM_BROKER selects NATS like --broker", async () => {
    const result = await runCli(["stats"], { MAYHEM_BROKER: "bogus" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /environment variable MAYHEM_BROKER/);
  });

  it("an unreachable server exits 1 with a message naming it, not a stack", async () => {
    for (const args of [["run"], ["publish", "--count", "1"], ["stats"]]) {
      const result = await runCli([...args, "--broker", nowhere]);
      assert.equal(
        result.code,
        1,
        `${args.join(" ")}: signal ${result.signal}, stderr: ${result.stderr}, stdout: ${result.stdout}`,
      );
      assert.ok(result.stderr.includes(nowhere), result.stderr);
      assert.match(result.stderr, /nats-server -js/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    }
  });

  it("--ack-deadline-ms below the NATS floor is a usage error", async () => {
    const result = await runCli([
      "run",
      "--broker",
      nowhere,
      "--ack-deadline-ms",
      "50",
      "--extend-interval-ms",
      "10",
    ]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--ack-deadline-ms.*at least 100 ms with a NATS broker/);
  });
});
