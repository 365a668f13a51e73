import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { StackSampler } from "../../src/tasks/sampler.js";

/** How many of `n` decisions at time `nowMs` said "capture". */
function takes(sampler: StackSampler, n: number, nowMs: number): number {
  let taken = 0;
  for (let i = 0; i < n; i++) if (sampler.take(nowMs)) taken++;
  return taken;
}

describe("StackSampler", () => {
  it("captures a burst freely, then one in N while time stands still", () => {
    const sampler = new StackSampler(1000, 10, 8);
    assert.equal(takes(sampler, 10, 0), 10);
    assert.equal(takes(sampler, 800, 0), 100);
    assert.equal(sampler.skipped, 700);
  });

  it("refills with the time passed, up to the burst", () => {
    const sampler = new StackSampler(1000, 10, 8);
    takes(sampler, 10, 0);
    // 5 ms at 1,000 a second: 5 more captured freely, then one in 8 again.
    assert.equal(takes(sampler, 5, 5), 5);
    // An hour later the bucket holds the burst, not an hour's worth.
    assert.equal(takes(sampler, 8 + 10, 3_600_000) >= 10, true);
    assert.equal(takes(sampler, 80, 3_600_000) <= 80 / 8 + 1, true);
  });

  it("under load, looks at the clock again only after N decisions", () => {
    const sampler = new StackSampler(1000, 1, 4);
    assert.equal(sampler.take(0), true);
    assert.equal(sampler.take(0), false); // empty: starved for the next 4 decisions
    // Time passes, but the next 4 decisions do not look: one in 4 is taken.
    assert.equal(takes(sampler, 4, 1000), 1);
    // The clock is read again: a full bucket.
    assert.equal(sampler.take(1000), true);
  });

  it("once a burst is over, a large N does not keep it blind: the clock is read within 16 decisions", () => {
    const sampler = new StackSampler(1000, 1, 4096);
    assert.equal(sampler.take(0), true);
    assert.equal(sampler.take(0), false); // empty: starved
    // A second later the bucket is full again; at most 16 decisions go by unseen.
    assert.ok(takes(sampler, 17, 1000) >= 1, "captured again after the burst");
  });
});
