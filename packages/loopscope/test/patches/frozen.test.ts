/**
 * loopscope never throws into the program it watches: under `--frozen-intrinsics`, and with
 * the module objects it wraps frozen before the preload, the program runs as it does without
 * loopscope, one start-up line names what was not installed, and the rest stays on.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  assertBuilt,
  cleanEnv,
  fixture,
  packageDir,
  registerJs,
} from "../fixtures/child-process.js";
import type { EventsRun } from "../fixtures/events-file.js";
import { markerLine, ofType, runWithEvents } from "../fixtures/events-file.js";

const app = fixture("frozen/app.mjs");
const freezeModules = fixture("frozen/freeze-modules.mjs");
const scratch = mkdtempSync(join(tmpdir(), "loopscope-frozen-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

let runs = 0;
function runApp(nodeArgs: readonly string[], env: NodeJS.ProcessEnv = {}): EventsRun {
  const eventsFile = join(scratch, `events-${++runs}.jsonl`);
  const childEnv = cleanEnv({ ...env, LOOPSCOPE_EVENTS: eventsFile });
  return runWithEvents([...nodeArgs, app], { cwd: packageDir, env: childEnv, eventsFile });
}

/** The line `loopscope: N wrappers not installed: ...` on stderr. */
function diagnostic(stderr: string): string {
  const lines = stderr.split("\n").filter((line) => line.includes("not installed"));
  assert.equal(lines.length, 1, `one diagnostic line in:\n${stderr}`);
  return lines[0]!;
}

/** Whether `Atomics.wait` can still be replaced under `--frozen-intrinsics` (Node 26 leaves it). */
function atomicsWaitFrozen(): boolean {
  const probe = spawnSync(
    process.execPath,
    [
      "--frozen-intrinsics",
      "--no-warnings",
      "-p",
      'Object.getOwnPropertyDescriptor(Atomics, "wait").configurable',
    ],
    { encoding: "utf8" },
  );
  return probe.stdout.trim() === "false";
}

const DEBUG = { LOOPSCOPE_DEBUG: "1" };

describe("loopscope where it cannot patch", () => {
  let plain: EventsRun;
  before(() => {
    assertBuilt();
    plain = runApp([]);
    assert.equal(plain.code, 0, plain.stderr);
  });

  for (const [label, env] of [
    ["production mode", {}],
    ["debug mode", DEBUG],
  ] as const) {
    it(`--frozen-intrinsics, ${label}: the program runs unchanged and the diagnostic names Error's stack settings`, () => {
      const frozenPlain = runApp(["--frozen-intrinsics"]);
      const result = runApp(["--frozen-intrinsics", "--import", registerJs], env);
      assert.equal(result.code, frozenPlain.code, result.stderr);
      assert.equal(result.stdout, frozenPlain.stdout);
      assert.equal(result.stdout, plain.stdout, "frozen intrinsics change nothing the app prints");
      const line = diagnostic(result.stderr);
      assert.match(
        line,
        /Error\.stackTraceLimit \(read-only property: stacks keep at most 10 frames\)/,
      );
      assert.match(
        line,
        /Error\.prepareStackTrace \(read-only property: stacks are read from their text\)/,
      );
      assert.match(line, /loopscope goes on without them$/);
      if (env === DEBUG && atomicsWaitFrozen())
        assert.match(line, /Atomics\.wait \(object is frozen\)/);
      // Still on: the watchdog reports the blocked loop at the busy line.
      const blocked = ofType(result.events, "loop-blocked");
      assert.ok(
        blocked.some((e) =>
          e.stack?.some((f) => f.file === app && f.line === markerLine(app, "block")),
        ),
        `a loop-blocked event at the busy line:\n${JSON.stringify(blocked)}`,
      );
    });
  }

  it("fs, zlib, crypto and child_process frozen before the preload: unchanged, named, and Atomics.wait still reported", () => {
    const frozenPlain = runApp(["--import", freezeModules]);
    assert.equal(frozenPlain.stdout, plain.stdout);
    const result = runApp(["--import", freezeModules, "--import", registerJs], DEBUG);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, plain.stdout);
    const line = diagnostic(result.stderr);
    for (const module of ["fs", "zlib", "crypto", "child_process"]) {
      assert.match(
        line,
        new RegExp(`\\b${module}\\.[*\\w]+ \\((\\d+ of them: )?object is frozen\\)`),
        line,
      );
    }
    const calls = ofType(result.events, "blocking-call").map((e) => e.call);
    assert.ok(calls.includes("Atomics.wait"), `Atomics.wait still wrapped: ${calls.join(", ")}`);
    assert.ok(!calls.some((call) => call.startsWith("fs.")), "no fs wrapper could be installed");
  });

  it("nothing skipped, nothing said: a program with nothing frozen gets no diagnostic", () => {
    const result = runApp(["--import", registerJs], DEBUG);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, plain.stdout);
    assert.doesNotMatch(result.stderr, /not installed/);
    const calls = ofType(result.events, "blocking-call").map((e) => e.call);
    for (const call of ["fs.readFileSync", "zlib.gzipSync", "crypto.pbkdf2Sync", "Atomics.wait"]) {
      assert.ok(calls.includes(call), `${call} reported: ${calls.join(", ")}`);
    }
  });
});
