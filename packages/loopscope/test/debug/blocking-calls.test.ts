import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs, {
  mkdtempSync,
  readFileSync,
  readFileSync as importedReadFileSync,
  rmSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, before, describe, it, test } from "node:test";
import { BlockingCallMonitor, blockingCallNames } from "../../src/debug/blocking-calls.js";
import type { BlockingCallEvent, LoopscopeEvent } from "../../src/protocol/index.js";
import { assertBuilt, cleanEnv, fixture, packageDir, run } from "../fixtures/child-process.js";

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

test("installed in a program whose loop has started, the very next call is reported", async () => {
  // Node 22+ runs an ES module entry, and so the first tests, before the loop starts.
  await new Promise((resolve) => setImmediate(resolve));
  const events: BlockingCallEvent[] = [];
  // No `loopStarted` option: the monitor must see for itself that the loop is running.
  monitor = new BlockingCallMonitor({ report: (e) => events.push(e) });
  monitor.install();
  fs.statSync(thisFile);
  assert.equal(events.length, 1);
});

describe("debug mode turned on through the API after start-up", () => {
  before(assertBuilt);

  for (const turnOn of ["setDebug", "start"] as const) {
    it(`${turnOn}(): a blocking call made at once is reported with its line`, async () => {
      const file = fixture("debug/api-after-start.mjs");
      const scratch = mkdtempSync(join(tmpdir(), "loopscope-api-"));
      try {
        const eventsFile = join(scratch, "events.jsonl");
        const result = await run(process.execPath, [file], {
          cwd: packageDir,
          env: cleanEnv({ LOOPSCOPE_TEST_EVENTS: eventsFile, TURN_ON: turnOn }),
        });
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, "done\n");
        const blocking = readFileSync(eventsFile, "utf8")
          .split("\n")
          .filter((line) => line !== "")
          .map((line) => JSON.parse(line) as LoopscopeEvent)
          .filter((e): e is BlockingCallEvent => e.type === "blocking-call");
        assert.equal(blocking.length, 1, JSON.stringify(blocking));
        assert.equal(blocking[0]!.call, "fs.readFileSync");
        const readLine = readFileSync(file, "utf8")
          .split("\n")
          .findIndex((line) => line.includes("// @read"));
        assert.ok(
          blocking[0]!.stack.some((frame) => frame.file === file && frame.line === readLine + 1),
          JSON.stringify(blocking[0]!.stack),
        );
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    });
  }
});
