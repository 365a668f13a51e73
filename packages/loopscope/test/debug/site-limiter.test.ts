import assert from "node:assert/strict";
import { test } from "node:test";
import { SiteLimiter } from "../../src/debug/site-limiter.js";

function limiterAt(clock: { now: number }, maxSites = 3) {
  return new SiteLimiter({ maxSites, windowMs: 1_000, now: () => clock.now });
}

test("the first call from a site is reported at once, later ones counted into the next window", () => {
  const clock = { now: 0 };
  const limiter = limiterAt(clock);
  assert.equal(limiter.hit("a.js:1:1"), 1);
  clock.now = 10;
  assert.equal(limiter.hit("a.js:1:1"), undefined);
  clock.now = 999;
  assert.equal(limiter.hit("a.js:1:1"), undefined);
  clock.now = 1_000;
  assert.equal(limiter.hit("a.js:1:1"), 3, "two suppressed calls and this one");
  clock.now = 1_001;
  assert.equal(limiter.hit("a.js:1:1"), undefined);
});

test("sites are limited independently", () => {
  const clock = { now: 0 };
  const limiter = limiterAt(clock);
  assert.equal(limiter.hit("a.js:1:1"), 1);
  assert.equal(limiter.hit("b.js:2:1"), 1);
  assert.equal(limiter.hit("a.js:1:1"), undefined);
});

test("the number of sites is bounded: the oldest is forgotten and counted", () => {
  const clock = { now: 0 };
  const limiter = limiterAt(clock, 2);
  limiter.hit("a");
  limiter.hit("b");
  limiter.hit("c");
  assert.equal(limiter.size, 2);
  assert.equal(limiter.forgotten, 1);
  assert.equal(limiter.hit("a"), 1, "a was forgotten, so it reads as new");
  assert.equal(limiter.hit("c"), undefined);
});

test("bad options are a TypeError naming the option", () => {
  assert.throws(() => new SiteLimiter({ maxSites: 0, windowMs: 1 }), /maxSites.*got 0/);
  assert.throws(() => new SiteLimiter({ maxSites: 1, windowMs: -1 }), /windowMs.*got -1/);
});
