/**
 * `LOOPSCOPE_PROMETHEUS` end to end: the built preload (`node --import loopscope/register`)
 * in a child process serves `/metrics` to a real HTTP scrape. No timing assertions: every
 * wait is for an answer, bounded only by the test runner's timeout.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { before, describe, it } from "node:test";
import { PROMETHEUS_NAMES } from "../../src/metrics/index.js";
import {
  assertBuilt,
  cleanEnv,
  fixture,
  start,
  withoutLoopBlockedReports,
} from "../fixtures/child-process.js";

/** A loopback port nothing listens on right now (the child binds it next). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === "object");
  return address.port;
}

/** GET `url` until the server answers, while `running()` (the server starts with the preload). */
async function scrape(
  url: string,
  running: () => boolean,
  headers: Record<string, string> = {},
): Promise<Response> {
  for (;;) {
    try {
      return await fetch(url, { headers });
    } catch (error) {
      if (!running()) throw error;
      await sleep(20);
    }
  }
}

describe("LOOPSCOPE_PROMETHEUS with the preload", () => {
  before(assertBuilt);

  // The timeout only turns a hang (no server, no finished interval) into a failure.
  it(
    "serves /metrics to a real scrape, behind LOOPSCOPE_PROMETHEUS_TOKEN, with the tasks pending",
    {
      timeout: 60_000,
    },
    async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/metrics`;
      const token = "preload-s3cret";
      // Three named tasks waiting on long timers; the process runs until it is killed.
      const app = start(
        process.execPath,
        ["--import", "loopscope/register", fixture("pending-tasks.js")],
        {
          env: cleanEnv({
            LOOPSCOPE_PROMETHEUS: `127.0.0.1:${port}`,
            LOOPSCOPE_PROMETHEUS_TOKEN: token,
            LOOPSCOPE_METRICS_INTERVAL_MS: "50",
          }),
        },
      );
      const running = (): boolean => app.child.exitCode === null && app.child.signalCode === null;
      try {
        await app.waitForStdout(/^ready \d+$/m);
        assert.equal(
          (await scrape(url, running)).status,
          401,
          "a scrape without the token is refused",
        );
        const authorized = { authorization: `Bearer ${token}` };
        // Values come from finished intervals: scrape until one has ended with the tasks up.
        let body = "";
        const pending = new RegExp(`^${PROMETHEUS_NAMES.tasksPending} 3$`, "m");
        while (!pending.test(body)) {
          assert.ok(running(), `the program ended:\n${app.stderr()}`);
          const response = await scrape(url, running, authorized);
          assert.equal(response.status, 200);
          assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
          body = await response.text();
          if (!pending.test(body)) await sleep(20);
        }
        for (const name of Object.values(PROMETHEUS_NAMES)) {
          assert.match(body, new RegExp(`^# TYPE ${name} (gauge|counter)$`, "m"), name);
          assert.match(body, new RegExp(`^${name} [0-9.e+-]+$`, "m"), name);
        }
        assert.equal(withoutLoopBlockedReports(app.stderr()), "");
      } finally {
        app.child.kill("SIGTERM");
        await app.finished;
      }
    },
  );
});
