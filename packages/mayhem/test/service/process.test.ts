import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { silentLogger } from "../../src/log/index.js";
import type { ServiceHandle, ShutdownResult } from "../../src/service/index.js";
import {
  ServiceStats,
  bindServiceToProcess,
  installExceptionHandler,
  signalExitCode,
} from "../../src/service/index.js";

const WATCHED = ["SIGINT", "SIGTERM", "SIGHUP", "unhandledRejection", "uncaughtException"] as const;
const listenerCounts = (): number[] => WATCHED.map((e) => process.listenerCount(e));

/**
 * The listener added for `event` since `before` was taken. Called directly
 * rather than through process.emit: the test runner listens for these events too.
 */
function addedListener(
  event: "unhandledRejection" | "uncaughtException",
  before: readonly unknown[],
): (...args: unknown[]) => void {
  const current: unknown[] = [...process.listeners(event as "uncaughtException")];
  const added = current.filter((l) => !before.includes(l));
  assert.equal(added.length, 1);
  return added[0] as (...args: unknown[]) => void;
}

/** A service whose shutdown finishes when the test says so. */
function controllableService() {
  const reasons: string[] = [];
  let loseBroker: (error: Error) => void = () => {};
  const brokerLost = new Promise<Error>((r) => {
    loseBroker = r;
  });
  let finish: (result: ShutdownResult) => void = () => {};
  const finished = new Promise<ShutdownResult>((r) => {
    finish = r;
  });
  const service: ServiceHandle = {
    stats: () => new ServiceStats().snapshot(),
    inFlight: 0,
    published: Promise.resolve(),
    shutdown(reason) {
      reasons.push(reason);
      return finished;
    },
    closed: finished,
    brokerLost,
  };
  const result = (error?: unknown): ShutdownResult => ({
    reason: reasons[0] ?? "",
    nacked: 0,
    error,
    stats: new ServiceStats().snapshot(),
  });
  return {
    service,
    reasons,
    loseBroker,
    finish: (error?: unknown) => finish(result(error)),
  };
}

describe("process binding", () => {
  it("maps signals to 128 + their number", () => {
    assert.equal(signalExitCode("SIGINT"), 130);
    assert.equal(signalExitCode("SIGTERM"), 143);
    assert.equal(signalExitCode("SIGHUP"), 129);
  });

  it("shuts down once on a signal, exits at once on a second, and removes exactly its listeners", async () => {
    const before = listenerCounts();
    const { service, reasons, finish } = controllableService();
    const exits: number[] = [];
    const binding = bindServiceToProcess({
      service,
      log: silentLogger(),
      deadlineMs: 60_000,
      exit: (code) => exits.push(code),
    });
    assert.deepEqual(
      listenerCounts(),
      before.map((n) => n + 1),
      "one listener per signal and per error event",
    );
    process.emit("SIGTERM", "SIGTERM");
    assert.deepEqual(reasons, ["SIGTERM"]);
    process.emit("SIGINT", "SIGINT");
    assert.deepEqual(exits, [130], "second signal exits at once with 128 + SIGINT");
    assert.deepEqual(reasons, ["SIGTERM"], "no second shutdown");
    finish();
    assert.equal(await binding.done, 0);
    assert.deepEqual(listenerCounts(), before, "every listener removed, and only those");
    binding.unbind();
    process.exitCode = 0;
  });

  it("starts a graceful shutdown on an unhandled rejection and exits 1 after it", async () => {
    const before = listenerCounts();
    const rejectionListeners = process.listeners("unhandledRejection");
    const { service, reasons, finish } = controllableService();
    const binding = bindServiceToProcess({
      service,
      log: silentLogger(),
      deadlineMs: 60_000,
      exit: () => assert.fail("must not exit at once"),
    });
    addedListener("unhandledRejection", rejectionListeners)(new Error("boom"), Promise.resolve());
    assert.deepEqual(reasons, ["unhandled error"]);
    finish();
    assert.equal(await binding.done, 1);
    assert.deepEqual(listenerCounts(), before);
    binding.unbind();
    process.exitCode = 0;
  });

  it("shuts down when the broker closes by itself, and exits 1 after it", async () => {
    const before = listenerCounts();
    const { service, reasons, loseBroker, finish } = controllableService();
    const binding = bindServiceToProcess({
      service,
      log: silentLogger(),
      deadlineMs: 60_000,
      exit: () => assert.fail("must not exit at once"),
    });
    assert.deepEqual(reasons, [], "nothing happens while the broker is up");
    loseBroker(new Error("connection lost for good"));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(reasons, ["broker lost"]);
    finish();
    assert.equal(await binding.done, 1);
    assert.deepEqual(listenerCounts(), before);
    binding.unbind();
    process.exitCode = 0;
  });

  it("the exception handler counts errors and uninstalls only its own listeners", () => {
    const before = listenerCounts();
    const exceptionListeners = process.listeners("uncaughtException");
    const rejectionListeners = process.listeners("unhandledRejection");
    const seen: string[] = [];
    const handler = installExceptionHandler({
      log: silentLogger(),
      onError: (kind) => seen.push(kind),
    });
    addedListener("uncaughtException", exceptionListeners)(new Error("x"), "uncaughtException");
    addedListener("unhandledRejection", rejectionListeners)("y", Promise.resolve());
    assert.equal(handler.count, 2);
    assert.deepEqual(seen, ["uncaughtException", "unhandledRejection"]);
    handler.uninstall();
    assert.deepEqual(listenerCounts(), before);
  });
});
