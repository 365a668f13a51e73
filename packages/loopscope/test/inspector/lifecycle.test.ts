import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { InspectorError, startInspector } from "../../src/inspector/index.js";
import { inspectFilePath } from "../../src/lifecycle/index.js";
import { assertBuilt, cleanEnv, fixture, run, testRuntimeDir } from "../fixtures/child-process.js";
import { startInspectedApp } from "../fixtures/inspected-app.js";

describe("startInspector", () => {
  it("refuses bad options, naming the option", () => {
    assert.throws(
      () => startInspector({ port: 70_000 }),
      /options\.port must be an integer from 0 to 65535/,
    );
    assert.throws(() => startInspector({ host: "" }), /options\.host/);
    assert.throws(
      () => startInspector({ token: "short" }),
      /options\.token must be 16 to 256 characters/,
    );
    assert.throws(
      () => startInspector({ control: "yes" as unknown as boolean }),
      /options\.control must be a boolean/,
    );
  });

  it("runs one at a time, answers with its address and token, and stops", async () => {
    const inspector = startInspector({ token: "a-token-for-this-test" });
    try {
      assert.throws(
        () => startInspector(),
        (error: unknown) =>
          error instanceof InspectorError && error.code === "LOOPSCOPE_ERR_INSPECT_RUNNING",
      );
      const address = await inspector.ready;
      assert.match(address.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal(address.token, "a-token-for-this-test");
      assert.equal(address.pid, process.pid);
      const response = await fetch(`${address.url}api/status`, {
        headers: { Authorization: "Bearer a-token-for-this-test" },
      });
      assert.equal(response.status, 200);
    } finally {
      await inspector.stop();
    }
    // Stopped: another may start.
    const next = startInspector();
    await next.ready;
    await next.stop();
  });

  it("rejects `ready` when it cannot listen", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const inspector = startInspector({ port: (taken.address() as AddressInfo).port });
      await assert.rejects(
        inspector.ready,
        (error: unknown) =>
          error instanceof InspectorError &&
          error.code === "LOOPSCOPE_ERR_INSPECT_LISTEN" &&
          /EADDRINUSE/.test(error.message),
      );
      await inspector.stop();
    } finally {
      taken.close();
    }
  });
});

describe("the inspector in a process", () => {
  before(() => assertBuilt());

  it("never keeps the process alive: a program that ends, ends", async () => {
    // No time bound: the test runner's timeout catches a process that never exits.
    const result = await run(process.execPath, [fixture("inspector/short-lived.js")], {
      env: cleanEnv(),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "done\n");
    assert.match(result.stderr, /loopscope: inspector at http:\/\/127\.0\.0\.1:\d+\/\?token=\S+\n/);
  });

  it("stops, and lets the process end, whether or not it listened yet", async () => {
    // No time bound: the test runner's timeout catches a stop() that never settles.
    const result = await run(process.execPath, [fixture("inspector/stop-at-once.js")], {
      env: cleanEnv(),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^stopped twice \((listened|LOOPSCOPE_ERR_INSPECT_LISTEN)\)\n$/);
  });

  it("says on one line when it cannot listen, and the program goes on", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const result = await run(process.execPath, [fixture("inspector/short-lived.js"), port], {
        env: cleanEnv(),
      });
      assert.equal(result.code, 0);
      assert.equal(result.stdout, "done\n");
      assert.match(
        result.stderr,
        /loopscope: could not start the inspector: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/,
      );
    } finally {
      taken.close();
    }
  });

  describe("the address file", () => {
    let inspected: Awaited<ReturnType<typeof startInspectedApp>>;
    after(() => inspected?.stop());

    it("holds the URL and token, mode 0600, and goes away when the process exits", async () => {
      inspected = await startInspectedApp();
      const path = inspectFilePath(inspected.pid, `${testRuntimeDir()}/loopscope`);
      const content = JSON.parse(readFileSync(path, "utf8")) as {
        url: string;
        token: string;
        pid: number;
      };
      assert.deepEqual(
        [content.url, content.token, content.pid],
        [inspected.url, inspected.token, inspected.pid],
      );
      assert.equal(statSync(path).mode & 0o777, 0o600);
      // A process killed by a signal leaves it behind, as it leaves its `.on` marker.
      inspected.app.child.stdin?.write("exit\n");
      assert.equal((await inspected.app.finished).code, 0);
      assert.equal(existsSync(path), false);
    });
  });
});
