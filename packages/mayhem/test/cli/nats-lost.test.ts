/**
 * `mayhem run` on NATS when the connection is lost for good: the server goes away and
 * comes back on the same port refusing the client's credentials, so the client gives up.
 * The service must not sit idle: it says so, shuts down and exits 1. Build first.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isolatedNames } from "../broker/nats-fixtures.js";
import {
  freePort,
  launchNatsServer,
  natsServerAvailable,
  terminate,
} from "../helpers/nats-server.js";
import { CLI, startMayhem } from "./nats-process.js";

const available = natsServerAvailable();

describe(
  "mayhem run, NATS connection lost for good",
  { skip: available === true ? false : available, timeout: 90_000 },
  () => {
    it("shuts down and exits 1, saying the broker closed by itself", async () => {
      assert.ok(existsSync(CLI), `build first (npm run build): ${CLI} is missing`);
      const port = await freePort();
      const store = await mkdtemp(join(tmpdir(), "mayhem-nats-lost-cli-"));
      let server: ChildProcess = await launchNatsServer(port, ["-js", "-sd", store]);
      const mayhem = startMayhem({ url: `nats://127.0.0.1:${port}`, ...isolatedNames() }, [
        "--publish",
        "true",
        "--publish-max-interval-ms",
        "20",
      ]);
      try {
        await mayhem.waitFor((l) => l.msg.startsWith("Mayhem Mandrill started"), "the start line");
        await terminate(server);
        server = await launchNatsServer(port, ["--user", "someone", "--pass", "else"]);
        const exit = await mayhem.exited;
        assert.equal(exit.code, 1, `exit ${exit.code} (${exit.signal}); output:\n${mayhem.other}`);
        assert.ok(
          mayhem.lines.some((l) => l.msg.startsWith("The broker closed by itself")),
          "says why it shuts down",
        );
        assert.ok(
          mayhem.lines.some((l) => l.msg.startsWith("Successfully shutdown")),
          "and shuts down gracefully",
        );
      } finally {
        if (mayhem.child.exitCode === null) mayhem.child.kill("SIGKILL");
        await terminate(server);
        await rm(store, { recursive: true, force: true });
      }
    });
  },
);
