/**
 * Debug mode keeps its memory flat however long it runs: a promise-heavy workload (named
 * tasks, async calls outside tasks, `await null`, handled failures, timers, a repeated
 * blocking call) in waves, under the real preload with LOOPSCOPE_DEBUG=1. The heap after
 * full collections at the end must be close to the heap after the first wave: nothing is
 * retained per promise, per task or per call. A size comparison, not a timing one.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { assertBuilt, cleanEnv, fixture, packageDir, run } from "../fixtures/child-process.js";

/** Waves of 5,000 tasks, ~20,000 async calls each. */
const WAVES = 12;
/**
 * Allowed growth. Measured: ~2 MB over 12 waves, ~3 MB over 100 (hash tables at their
 * peak size, compiled code); anything kept per async call (250,000 of them) would add
 * 10 MB or more for as little as 40 bytes each.
 */
const BOUND_BYTES = 6 * 1024 * 1024;

describe("debug mode's memory", () => {
  before(assertBuilt);

  it("stays flat over 250,000 async calls", async () => {
    const result = await run(
      process.execPath,
      [
        "--expose-gc",
        "--import",
        "loopscope/register",
        fixture("debug/memory-waves.mjs"),
        String(WAVES),
      ],
      { cwd: packageDir, env: cleanEnv({ LOOPSCOPE_DEBUG: "1" }) },
    );
    assert.equal(result.code, 0, result.stderr);
    const { first, last, asyncCalls } = JSON.parse(result.stdout) as {
      first: number;
      last: number;
      asyncCalls: number;
    };
    assert.ok(asyncCalls >= 240_000, `async calls: ${asyncCalls}`);
    assert.ok(
      last - first < BOUND_BYTES,
      `heap grew by ${((last - first) / 1024 / 1024).toFixed(1)} MB (${first} -> ${last})`,
    );
  });
});
