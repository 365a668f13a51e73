import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startWatchdog, WatchdogError } from "../../src/watchdog/index.js";

describe("startWatchdog options", () => {
  it("rejects a bad threshold with a TypeError naming the option and the value", () => {
    assert.throws(() => startWatchdog({ slowMs: 0 }), {
      name: "TypeError",
      message: /options\.slowMs must be a positive integer, got 0/,
    });
    assert.throws(() => startWatchdog({ slowMs: 1.5 }), /options\.slowMs .* got 1\.5/);
    assert.throws(
      () => startWatchdog({ slowMs: 100, maxSites: -1 }),
      /options\.maxSites .* got -1/,
    );
  });

  it("refuses a second watchdog in the same process, and allows one after stop", async () => {
    const watchdog = startWatchdog({ slowMs: 100 });
    assert.throws(
      () => startWatchdog({ slowMs: 100 }),
      (error: unknown) =>
        error instanceof WatchdogError && error.code === "LOOPSCOPE_ERR_WATCHDOG_RUNNING",
    );
    const stopping = watchdog.stop();
    assert.equal(watchdog.stop(), stopping, "a second stop() joins the first");
    await stopping;
    const again = startWatchdog({ slowMs: 100 });
    await again.stop();
  });
});
