/**
 * setDebug() itself: options given while debug mode is already on are applied, not
 * silently ignored.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, before, test } from "node:test";
import { isDebug, setDebug } from "../../src/debug/index.js";
import { onEvent } from "../../src/events/index.js";
import type { BlockingCallEvent } from "../../src/protocol/index.js";

const thisFile = fileURLToPath(import.meta.url);

// Calls made before the event loop starts are start-up, never reported; Node 22+ runs an
// ES module entry, and so the first tests, before it starts.
before(() => new Promise((resolve) => setImmediate(resolve)));
afterEach(() => setDebug(false));

/** `blocking-call` events emitted while `body` runs. */
function blockingCalls(body: () => void): BlockingCallEvent[] {
  const events: BlockingCallEvent[] = [];
  const unsubscribe = onEvent((event) => {
    if (event.type === "blocking-call") events.push(event);
  });
  try {
    body();
  } finally {
    unsubscribe();
  }
  return events;
}

/** Three calls from one call site. */
function statThrice(): void {
  for (let i = 0; i < 3; i++) fs.statSync(thisFile);
}

test("blockingCallWindowMs given while debug mode is on replaces the window", () => {
  setDebug(true, { blockingCallWindowMs: 600_000 });
  assert.equal(blockingCalls(statThrice).length, 1, "one report a window");

  setDebug(true, { blockingCallWindowMs: 0 });
  assert.ok(isDebug());
  const events = blockingCalls(statThrice);
  assert.equal(events.length, 3, "a zero window reports every call");
  assert.equal(events[0]!.count, 3, "the two calls suppressed before, and this one");

  setDebug(true); // options left out: the window stays
  assert.equal(blockingCalls(statThrice).length, 3);
});

test("a bad option is a TypeError while debug mode is on too, and changes nothing", () => {
  setDebug(true, { blockingCallWindowMs: 600_000 });
  assert.throws(() => setDebug(true, { blockingCallWindowMs: -1 }), {
    name: "TypeError",
    message: /blockingCallWindowMs.*-1/,
  });
  assert.equal(blockingCalls(statThrice).length, 1);
});

test("turned off and on again, debug mode starts from the default window", () => {
  setDebug(true, { blockingCallWindowMs: 0 });
  setDebug(false);
  setDebug(true);
  assert.equal(blockingCalls(statThrice).length, 1);
});
