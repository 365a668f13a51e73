import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { isAssignable, replaceProperty } from "../../src/patches/replace.js";
import {
  clearSkipsForTests,
  describeSkips,
  sayNewSkips,
  skippedPatches,
} from "../../src/patches/skipped.js";

afterEach(clearSkipsForTests);

const original = (): string => "original";
const replacement = (): string => "replacement";

test("a writable property is replaced and restored with its attributes", () => {
  const owner = { fn: original };
  const replaced = replaceProperty(owner, "fn", replacement, "owner.fn");
  assert.equal(owner.fn, replacement);
  assert.equal(replaced?.original, original);
  replaced?.restore();
  assert.equal(owner.fn, original);
  assert.deepEqual(Object.getOwnPropertyDescriptor(owner, "fn"), {
    value: original,
    writable: true,
    enumerable: true,
    configurable: true,
  });
  assert.equal(skippedPatches().skipped.length, 0);
});

test("read-only but configurable (Node 26's zlib.createZipArchiveSync) is redefined, still read-only", () => {
  const owner = {};
  Object.defineProperty(owner, "fn", {
    value: original,
    writable: false,
    enumerable: true,
    configurable: true,
  });
  const replaced = replaceProperty(owner, "fn", replacement, "owner.fn");
  assert.equal((owner as { fn: unknown }).fn, replacement);
  assert.equal(Object.getOwnPropertyDescriptor(owner, "fn")?.writable, false);
  replaced?.restore();
  assert.equal((owner as { fn: unknown }).fn, original);
});

test("what cannot change is skipped with its reason, never thrown", () => {
  const readOnly = {};
  Object.defineProperty(readOnly, "fn", { value: original, writable: false, configurable: false });
  const frozen = Object.freeze({ fn: original });
  const accessor = {
    get fn() {
      return original;
    },
  };
  assert.equal(replaceProperty(readOnly, "fn", replacement, "readOnly.fn"), undefined);
  assert.equal(replaceProperty(frozen, "fn", replacement, "frozen.fn"), undefined);
  assert.equal(replaceProperty(accessor, "fn", replacement, "accessor.fn"), undefined);
  assert.equal(replaceProperty(readOnly, "missing", replacement, "readOnly.missing"), undefined);
  assert.equal(frozen.fn, original);
  assert.deepEqual(
    skippedPatches().skipped.map((s) => [s.target, s.reason]),
    [
      ["readOnly.fn", "read-only property"],
      ["frozen.fn", "object is frozen"],
      ["accessor.fn", "accessor property"],
      ["readOnly.missing", "no such property"],
    ],
  );
});

test("an inherited method (process.emit) is shadowed, and restoring removes the shadow", () => {
  const proto = { fn: original };
  const owner = Object.create(proto) as { fn: () => string };
  const replaced = replaceProperty(owner, "fn", replacement, "owner.fn");
  assert.equal(owner.fn, replacement);
  replaced?.restore();
  assert.equal(Object.getOwnPropertyDescriptor(owner, "fn"), undefined);
  assert.equal(owner.fn, original);
});

test("restore leaves a wrapper someone installed over ours", () => {
  const owner = { fn: original };
  const replaced = replaceProperty(owner, "fn", replacement, "owner.fn");
  const theirs = (): string => "theirs";
  owner.fn = theirs;
  replaced?.restore();
  assert.equal(owner.fn, theirs);
});

test("isAssignable tells a writable property or a setter from a read-only one", () => {
  const owner = { value: 1, set viaSetter(_: number) {} };
  Object.defineProperty(owner, "fixed", { value: 1, writable: false });
  assert.equal(isAssignable(owner, "value"), true);
  assert.equal(isAssignable(owner, "viaSetter"), true);
  assert.equal(isAssignable(owner, "fixed"), false);
  assert.equal(isAssignable(Object.freeze({}), "absent"), false);
});

test("the diagnostic folds a module's many skips and is said once", () => {
  const frozen = Object.freeze({
    aSync: original,
    bSync: original,
    cSync: original,
    dSync: original,
  });
  for (const key of Object.keys(frozen)) replaceProperty(frozen, key, replacement, `fs.${key}`);
  replaceProperty(Object.freeze({ wait: original }), "wait", replacement, "Atomics.wait");
  assert.equal(
    describeSkips(skippedPatches().skipped),
    "5 wrappers not installed: fs.* (4 of them: object is frozen), Atomics.wait (object is frozen)",
  );
  const lines: string[] = [];
  sayNewSkips((line) => lines.push(line));
  sayNewSkips((line) => lines.push(line));
  assert.equal(lines.length, 1, "said once");
  assert.match(
    lines[0]!,
    /^loopscope: 5 wrappers not installed: .*; loopscope goes on without them\n$/,
  );
});
