/**
 * The native-call watch: a wrapped call that sees `Control.DETECTED` change while it ran
 * records the exact line and column of the call. The control array is a fake here: the
 * tests bump it from inside the call (a reviver, an options getter) or from a worker
 * thread while a real native call runs. No timing assertions.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto, { pbkdf2Sync as importedPbkdf2Sync } from "node:crypto";
import fs, { readFileSync as importedReadFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import zlib from "node:zlib";
import { afterEach, describe, it } from "node:test";
import { BlockingCallMonitor } from "../../src/debug/blocking-calls.js";
import type { BlockingCallEvent, Frame } from "../../src/protocol/index.js";
import type { NativeCallRecord } from "../../src/watchdog/native-calls.js";
import {
  NativeCallWatch,
  nativeCallFrames,
  nativeCallTargets,
} from "../../src/watchdog/native-calls.js";
import { Control, createControlArray } from "../../src/watchdog/thread-protocol.js";
import { packageDir } from "../fixtures/child-process.js";

const thisFile = fileURLToPath(import.meta.url);
const source = fs.readFileSync(thisFile, "utf8").split("\n");

const originals = {
  parse: JSON.parse,
  stringify: JSON.stringify,
  readFileSync: fs.readFileSync,
  realpathSync: fs.realpathSync,
  pbkdf2Sync: crypto.pbkdf2Sync,
  gunzipSync: zlib.gunzipSync,
  wait: Atomics.wait,
};

/** The line (1-based) carrying `// @marker`, and the column (1-based) of `token` on it. */
function position(marker: string, token: string): { line: number; col: number } {
  const index = source.findIndex((text) => text.includes(`// @${marker}`));
  assert.ok(index >= 0, `marker ${marker}`);
  const col = source[index]!.indexOf(token);
  assert.ok(col >= 0, `${token} on the line of ${marker}`);
  return { line: index + 1, col: col + 1 };
}

/** The record's first frame: the caller, at the call. */
function callFrame(record: NativeCallRecord | undefined): Frame {
  assert.ok(record !== undefined, "a record");
  const frame = nativeCallFrames(record)[0];
  assert.ok(frame !== undefined, "a frame");
  return frame;
}

let control: Int32Array;
let seq: bigint;
let watch: NativeCallWatch | undefined;
let monitor: BlockingCallMonitor | undefined;

/** A watch over a fresh fake control array, installed; `seq` is its heartbeat. */
function installed(
  options: ConstructorParameters<typeof NativeCallWatch>[2] = {},
): NativeCallWatch {
  control = createControlArray();
  seq = 7n;
  watch = new NativeCallWatch(control, () => seq, options);
  watch.install();
  return watch;
}

/** What the watchdog thread does when it first detects a stall. */
function detect(): void {
  Atomics.add(control, Control.DETECTED, 1);
}

afterEach(() => {
  watch?.uninstall();
  watch = undefined;
  monitor?.uninstall();
  monitor = undefined;
});

describe("NativeCallWatch", () => {
  it("names the call, and the exact line and column of the call", () => {
    const w = installed();
    const bump = (_key: string, value: unknown): unknown => {
      detect();
      return value;
    };
    const value = JSON.parse('{"a":1}', bump) as { a: number }; // @parse
    assert.deepEqual(value, { a: 1 });
    const record = w.take(seq);
    assert.equal(record?.call, "JSON.parse");
    assert.equal(record.seq, 7n);
    assert.equal(typeof record.returnedAt, "bigint");
    const frame = callFrame(record);
    assert.equal(frame.file, thisFile);
    assert.deepEqual({ line: frame.line, col: frame.col }, position("parse", "parse("));
    assert.equal(w.take(seq), undefined, "forgotten once taken");
  });

  it("records at the position V8 gives the call (that of an exception it throws)", () => {
    installed();
    const thrown = ((): Error => {
      try {
        JSON.parse("{bad"); // @throws
      } catch (error) {
        return error as Error;
      }
      throw new Error("JSON.parse did not throw");
    })();
    const { line, col } = position("throws", "parse(");
    assert.ok(thrown.stack?.includes(`${thisFile}:${line}:${col}`), thrown.stack);
    // The built-in's own frame reads as without the wrapper; the wrapper's frame follows it.
    assert.match(thrown.stack!.split("\n")[1]!, /^\s+at JSON\.parse \(<anonymous>\)$/);
    assert.match(thrown.stack!.split("\n")[2]!, /native-calls\.[jt]s:\d+:\d+\)$/);
  });

  it("JSON.stringify: a replacer that runs when the stall is detected", () => {
    const w = installed();
    const replacer = (_key: string, value: unknown): unknown => {
      detect();
      return value;
    };
    const text = JSON.stringify({ a: [1, 2] }, replacer, 2); // @stringify
    assert.equal(text, originals.stringify({ a: [1, 2] }, null, 2));
    const record = w.take(seq);
    assert.equal(record?.call, "JSON.stringify");
    const frame = callFrame(record);
    assert.deepEqual(
      { file: frame.file, line: frame.line, col: frame.col },
      { file: thisFile, ...position("stringify", "stringify(") },
    );
  });

  it("records nothing when the counter does not change", () => {
    const w = installed();
    JSON.parse('{"a":1}', (_key, value: unknown) => value);
    JSON.stringify({ a: 1 });
    fs.readFileSync(thisFile);
    crypto.pbkdf2Sync("secret", "salt", 1, 16, "sha256");
    assert.equal(w.take(seq), undefined);
  });

  it("keeps the outermost of nested calls", () => {
    const w = installed();
    const inner = (_key: string, value: unknown): unknown => {
      detect();
      return value;
    };
    const outer = (key: string, value: unknown): unknown =>
      key === "a" ? JSON.parse('{"b":2}', inner) : value; // @inner
    const value = JSON.parse('{"a":1}', outer) as { a: { b: number } }; // @outer
    assert.deepEqual(value, { a: { b: 2 } });
    const frame = callFrame(w.take(seq));
    assert.deepEqual({ line: frame.line, col: frame.col }, position("outer", "parse("));
  });

  it("a record belongs to the stall it was taken in", () => {
    const w = installed();
    JSON.parse("1", (_key, value: unknown) => (detect(), value));
    assert.equal(w.take(6n), undefined, "not an earlier stall's");
    assert.equal(w.take(8n), undefined, "a later stall drops it");
    assert.equal(w.take(7n), undefined, "dropped");
  });

  it("exceptions pass through unchanged, and a call that throws after a stall is seen", () => {
    const w = installed();
    assert.throws(() => JSON.parse("{bad"), SyntaxError);
    const mine = new Error("from the reviver");
    assert.throws(
      () =>
        JSON.parse("[1]", () => {
          detect();
          throw mine;
        }),
      (error) => error === mine,
    );
    assert.equal(w.take(seq)?.call, "JSON.parse");
    assert.throws(() => fs.readFileSync(`${thisFile}.missing`), { code: "ENOENT" });
  });

  it("`this`, every argument and the result pass through (any function)", () => {
    const receiver = { tag: "receiver" };
    const seenCalls: { self: unknown; args: unknown[] }[] = [];
    function workSync(this: unknown, ...args: unknown[]): unknown {
      seenCalls.push({ self: this, args });
      if (args[0] === "detect") detect();
      if (args[0] === "throw") throw new RangeError("theirs");
      return args.length;
    }
    const owner = { workSync };
    const original = workSync;
    const w = installed({ targets: [{ owner, key: "workSync", call: "fake.workSync" }] });
    assert.notEqual(owner.workSync, original);
    assert.equal(owner.workSync.name, "workSync");
    assert.equal(owner.workSync.call(receiver, 1, undefined, 3, 4, 5, 6), 6);
    assert.equal(owner.workSync(), 0);
    assert.throws(() => owner.workSync("throw"), { name: "RangeError", message: "theirs" });
    assert.equal(w.take(seq), undefined);
    owner.workSync.call(receiver, "detect"); // @fake
    assert.deepEqual(seenCalls[0], { self: receiver, args: [1, undefined, 3, 4, 5, 6] });
    assert.equal(seenCalls[1]!.self, owner);
    assert.deepEqual(seenCalls[1]!.args, []);
    const record = w.take(seq);
    assert.equal(record?.call, "fake.workSync");
    const frame = callFrame(record);
    assert.equal(frame.line, position("fake", "call(").line);
    w.uninstall();
    assert.equal(owner.workSync, original);
  });

  it("wrappers keep name, length and own properties; uninstall restores the originals", () => {
    const w = installed();
    assert.notEqual(JSON.parse, originals.parse);
    assert.notEqual(fs.readFileSync, originals.readFileSync);
    assert.notEqual(Atomics.wait, originals.wait);
    for (const [fn, name, length] of [
      [JSON.parse, "parse", 2],
      [JSON.stringify, "stringify", 3],
      [fs.readFileSync, "readFileSync", originals.readFileSync.length],
      [crypto.pbkdf2Sync, "pbkdf2Sync", originals.pbkdf2Sync.length],
      [Atomics.wait, "wait", 4],
    ] as const) {
      assert.equal(fn.name, name);
      assert.equal(fn.length, length);
      assert.throws(() => new (fn as unknown as new () => unknown)(), TypeError);
    }
    assert.equal(fs.realpathSync.native, originals.realpathSync.native);
    assert.equal(Object.getOwnPropertyDescriptor(JSON, "parse")?.enumerable, false);
    assert.ok(w.wrapped.includes("JSON.parse"));
    assert.ok(w.wrapped.includes("crypto.scryptSync"));
    assert.ok(w.wrapped.includes("child_process.execFileSync"));
    assert.ok(w.wrapped.includes("zlib.gunzipSync"));
    w.install(); // idempotent
    w.uninstall();
    assert.equal(JSON.parse, originals.parse);
    assert.equal(JSON.stringify, originals.stringify);
    assert.equal(fs.readFileSync, originals.readFileSync);
    assert.equal(crypto.pbkdf2Sync, originals.pbkdf2Sync);
    assert.equal(Atomics.wait, originals.wait);
    assert.equal(importedPbkdf2Sync, originals.pbkdf2Sync);
    w.uninstall(); // idempotent
  });

  it("JSON can be left alone (json: false)", () => {
    const w = installed({ json: false });
    assert.equal(JSON.parse, originals.parse);
    assert.equal(JSON.stringify, originals.stringify);
    assert.notEqual(fs.readFileSync, originals.readFileSync);
    assert.ok(!w.wrapped.includes("JSON.parse"));
    assert.ok(!nativeCallTargets({ json: false }).some((t) => t.call.startsWith("JSON.")));
  });

  it("wraps someone else's JSON.parse without changing what it sees", () => {
    const calls: number[] = [];
    const theirs = function parse(this: unknown, ...args: unknown[]): unknown {
      calls.push(args.length);
      return Reflect.apply(originals.parse, this, args);
    };
    JSON.parse = theirs as typeof JSON.parse;
    try {
      installed();
      JSON.parse("1");
      JSON.parse("1", undefined);
      assert.deepEqual(calls, [1, 2]);
    } finally {
      watch?.uninstall();
      JSON.parse = originals.parse;
    }
  });

  it("ESM named imports see the wrappers after install, the originals after uninstall", () => {
    const w = installed();
    assert.equal(importedPbkdf2Sync, crypto.pbkdf2Sync);
    assert.notEqual(importedPbkdf2Sync, originals.pbkdf2Sync);
    const options = {
      get encoding(): BufferEncoding {
        detect();
        return "utf8";
      },
    };
    importedReadFileSync(thisFile, options); // @esm
    const frame = callFrame(w.take(seq));
    assert.deepEqual(
      { line: frame.line, col: frame.col },
      position("esm", "importedReadFileSync("),
    );
    w.uninstall();
    assert.equal(importedPbkdf2Sync, originals.pbkdf2Sync);
  });

  it("a real native call while a worker thread detects a stall: the exact line", async () => {
    const w = installed();
    // The worker bumps the counter over and over while `spin` is 1, as the watchdog
    // thread would once (a long call sees a change either way).
    const spin = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(
      `const { workerData: { control, spin, at } } = require("node:worker_threads");
       Atomics.store(spin, 1, 1); Atomics.notify(spin, 1);
       while (Atomics.load(spin, 0) === 0) Atomics.wait(spin, 0, 0, 50);
       while (Atomics.load(spin, 0) === 1) Atomics.add(control, at, 1);`,
      { eval: true, workerData: { control, spin, at: Control.DETECTED } },
    );
    try {
      Reflect.apply(originals.wait, Atomics, [spin, 1, 0]); // until the worker runs (unwrapped: no record)
      Atomics.store(spin, 0, 1);
      Atomics.notify(spin, 0);
      let record: NativeCallRecord | undefined;
      // A long call sees the counter move unless the worker got no core at all while it ran.
      for (let attempt = 0; attempt < 5 && record === undefined; attempt++) {
        importedPbkdf2Sync("secret", "salt", 100_000, 32, "sha512"); // @pbkdf2
        record = w.take(seq);
      }
      assert.equal(record?.call, "crypto.pbkdf2Sync");
      const frame = callFrame(record);
      assert.deepEqual(
        { file: frame.file, line: frame.line, col: frame.col },
        { file: thisFile, ...position("pbkdf2", "importedPbkdf2Sync(") },
      );
    } finally {
      Atomics.store(spin, 0, 2);
      await worker.terminate();
    }
  });

  it("Atomics.wait is watched", () => {
    const w = installed();
    const cell = new Int32Array(new SharedArrayBuffer(4));
    // Not equal: returns at once. The counter moves in between only in a real stall;
    // here a getter on the index, read inside the call, plays the watchdog thread.
    const index = {
      valueOf(): number {
        detect();
        return 0;
      },
    };
    assert.equal(Atomics.wait(cell, index as unknown as number, 1), "not-equal"); // @wait
    const frame = callFrame(w.take(seq));
    assert.equal(frame.line, position("wait", "wait(").line);
  });
});

describe("with debug mode's blocking-call wrappers", () => {
  const events: BlockingCallEvent[] = [];
  const startDebug = (): void => {
    events.length = 0;
    monitor = new BlockingCallMonitor({ report: (e) => events.push(e), loopStarted: true });
    monitor.install();
  };
  /** `fs.readFileSync` with the stall detected while it runs (its options are read inside). */
  const readDetected = (): void => {
    const options = {
      get encoding(): BufferEncoding {
        detect();
        return "utf8";
      },
    };
    fs.readFileSync(thisFile, options); // @both
  };
  const bothWork = (w: NativeCallWatch): void => {
    readDetected();
    const expected = position("both", "readFileSync(");
    assert.equal(events.length, 1, "debug mode reported the call");
    assert.equal(events[0]!.call, "fs.readFileSync");
    assert.ok(events[0]!.stack.some((f) => f.file === thisFile && f.line === expected.line));
    const record = w.take(seq);
    assert.equal(record?.call, "fs.readFileSync");
    const frame = callFrame(record);
    assert.deepEqual(
      { file: frame.file, line: frame.line, col: frame.col },
      { file: thisFile, ...expected },
    );
  };

  it("both work with debug mode turned on after the watch (setDebug after start)", () => {
    const w = installed();
    startDebug();
    bothWork(w);
    monitor!.uninstall();
    w.uninstall();
    assert.equal(fs.readFileSync, originals.readFileSync, "uninstalled in reverse order");
  });

  it(
    "both work with debug mode on before the watch (LOOPSCOPE_DEBUG=1 at start)",
    {
      todo:
        "debug/call-site.ts takes the watch's wrapper frame for loopscope's own call and " +
        "reports nothing: it must skip native-calls.ts frames (proposed to the lead)",
    },
    () => {
      startDebug();
      const w = installed();
      bothWork(w);
      w.uninstall();
      monitor!.uninstall();
      assert.equal(fs.readFileSync, originals.readFileSync, "uninstalled in reverse order");
    },
  );

  it("uninstalled out of order: the watch's wrapper stays under debug mode's and passes through", () => {
    const w = installed();
    startDebug();
    w.uninstall();
    readDetected();
    assert.equal(events.length, 1, "debug mode still reports");
    assert.equal(w.take(seq), undefined, "the watch records nothing once uninstalled");
    monitor!.uninstall();
    assert.notEqual(fs.readFileSync, originals.readFileSync, "debug mode put back what it wrapped");
    assert.equal(fs.readFileSync(thisFile, "utf8"), originals.readFileSync(thisFile, "utf8"));
    // Put the real original back for the tests that follow.
    fs.readFileSync = originals.readFileSync;
    syncBuiltinESMExports();
  });
});

describe("under --frozen-intrinsics", () => {
  it("JSON (and Atomics where frozen) are skipped and counted; the rest is wrapped", () => {
    const script = `
      import { NativeCallWatch } from "./src/watchdog/native-calls.ts";
      import { skippedPatches } from "./src/patches/index.ts";
      import { createControlArray } from "./src/watchdog/thread-protocol.ts";
      import fs from "node:fs";
      const parse = JSON.parse;
      const watch = new NativeCallWatch(createControlArray(), () => 0n);
      watch.install();
      console.log(JSON.stringify({
        same: JSON.parse === parse,
        works: JSON.parse('{"a":1}').a,
        fsWrapped: watch.wrapped.includes("fs.readFileSync") && fs.readFileSync.name === "readFileSync",
        skipped: skippedPatches().skipped.filter((s) => s.target.startsWith("JSON.")),
      }));
      watch.uninstall();`;
    const result = spawnSync(
      process.execPath,
      [
        "--frozen-intrinsics",
        "--no-warnings",
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        script,
      ],
      { cwd: packageDir, encoding: "utf8" },
    );
    assert.equal(result.status, 0, result.stderr);
    const out = JSON.parse(result.stdout.trim().split("\n").pop()!) as {
      same: boolean;
      works: number;
      fsWrapped: boolean;
      skipped: { target: string; reason: string }[];
    };
    assert.equal(out.same, true);
    assert.equal(out.works, 1);
    assert.equal(out.fsWrapped, true);
    assert.deepEqual(out.skipped, [
      { target: "JSON.parse", reason: "object is frozen" },
      { target: "JSON.stringify", reason: "object is frozen" },
    ]);
  });
});
