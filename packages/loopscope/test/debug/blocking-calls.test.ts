import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs, { readFileSync as importedReadFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { afterEach, test } from "node:test";
import { BlockingCallMonitor, blockingCallNames } from "../../src/debug/blocking-calls.js";
import type { BlockingCallEvent } from "../../src/report/index.js";

const require = createRequire(import.meta.url);
const thisFile = fileURLToPath(import.meta.url);
const originalReadFileSync = fs.readFileSync;
const originalRealpathSync = fs.realpathSync;
const originalAtomicsWait = Atomics.wait;

let monitor: BlockingCallMonitor | undefined;
afterEach(() => {
  monitor?.uninstall();
  monitor = undefined;
});

function installed(): BlockingCallEvent[] {
  const events: BlockingCallEvent[] = [];
  monitor = new BlockingCallMonitor({ report: (e) => events.push(e), loopStarted: true });
  monitor.install();
  return events;
}

/** The first frame that is the application's (this test file). */
function callLine(event: BlockingCallEvent): number | undefined {
  return event.stack.find((frame) => frame.file === thisFile)?.line;
}

test("wrappers keep name, length and own properties, and uninstall restores the originals", () => {
  installed();
  assert.notEqual(fs.readFileSync, originalReadFileSync);
  assert.equal(fs.readFileSync.name, "readFileSync");
  assert.equal(fs.readFileSync.length, originalReadFileSync.length);
  assert.equal(fs.realpathSync.native, originalRealpathSync.native);
  assert.equal(Atomics.wait.name, "wait");
  monitor!.uninstall();
  assert.equal(fs.readFileSync, originalReadFileSync);
  assert.equal(fs.realpathSync, originalRealpathSync);
  assert.equal(Atomics.wait, originalAtomicsWait);
});

test("a call through the module object is reported with its call line", () => {
  const events = installed();
  const line = new Error().stack!.split("\n")[1]!.match(/:(\d+):\d+\)?$/)![1];
  fs.readFileSync(thisFile); // the line after the one read above
  assert.equal(events.length, 1);
  assert.equal(events[0]!.call, "fs.readFileSync");
  assert.equal(events[0]!.count, 1);
  assert.ok(events[0]!.durationMs >= 0);
  assert.equal(callLine(events[0]!), Number(line) + 1);
});

test("ESM named imports and require() both see the wrappers", () => {
  const events = installed();
  importedReadFileSync(thisFile);
  (require("node:fs") as typeof fs).statSync(thisFile);
  assert.deepEqual(
    events.map((e) => e.call),
    ["fs.readFileSync", "fs.statSync"],
  );
  monitor!.uninstall();
  importedReadFileSync(thisFile);
  assert.equal(events.length, 2, "nothing reported once uninstalled");
});

test("crypto, zlib and Atomics.wait are wrapped; nested calls report once", () => {
  const events = installed();
  crypto.pbkdf2Sync("secret", "salt", 1, 16, "sha256");
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1); // not-equal: returns at once
  fs.writeFileSync(`${thisFile}.tmp`, "x"); // opens, writes, closes inside: one report
  fs.rmSync(`${thisFile}.tmp`);
  assert.deepEqual(
    events.map((e) => e.call),
    ["crypto.pbkdf2Sync", "Atomics.wait", "fs.writeFileSync", "fs.rmSync"],
  );
  const names = blockingCallNames();
  for (const name of [
    "fs.readFileSync",
    "child_process.execSync",
    "zlib.gzipSync",
    "crypto.scryptSync",
  ]) {
    assert.ok(names.includes(name), name);
  }
});

test("the same call site is rate-limited; another site is not", () => {
  const events = installed();
  for (let i = 0; i < 3; i++) fs.existsSync(thisFile);
  fs.existsSync(thisFile);
  assert.equal(events.length, 2);
  assert.notEqual(callLine(events[0]!), callLine(events[1]!));
});

test("writes to stdout and stderr are exempt; errors still reach the caller", () => {
  const events = installed();
  fs.writeSync(2, "");
  assert.equal(events.length, 0);
  assert.throws(() => fs.readFileSync(`${thisFile}.missing`), { code: "ENOENT" });
  assert.equal(events.length, 1, "a failing call blocked too");
});

test("before the loop's first turn, calls are start-up and exempt", async () => {
  const events: BlockingCallEvent[] = [];
  monitor = new BlockingCallMonitor({ report: (e) => events.push(e) });
  monitor.install();
  fs.statSync(thisFile);
  assert.equal(events.length, 0);
  await new Promise((resolve) => setImmediate(resolve));
  fs.statSync(thisFile);
  assert.equal(events.length, 1);
});
