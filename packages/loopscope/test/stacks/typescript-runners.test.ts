/**
 * Reports name the `.ts` line however the TypeScript is run: tsc output with its source
 * map (with and without `--enable-source-maps`, and run by tsx), tsx (`--import tsx`, ESM and CommonJS,
 * and the `tsx` CLI) and Node's own type stripping (and `--experimental-transform-types`
 * where Node has it). Each runs test/fixtures/ts-runners/orders.ts in a child process
 * with the real preload (dist/register.js) in debug mode, events to a file, and four
 * reports must name the fixture's marked lines:
 *
 * - `@throw`: the error's own innermost frame of an unhandled rejection,
 * - `@call`: the rejection's creation line (the fire-and-forget call),
 * - `@block`: the `loop-blocked` report of a 300 ms busy loop,
 * - `@await`: the await line of a pending async call in a debug-mode task dump (SIGUSR2),
 * - `@blocking`: the `blocking-call` report of a synchronous file read.
 *
 * tsx and Node's transform mode turn Node's source maps on and register a map from a
 * `.ts` file onto itself: `error.stack` then comes already mapped, and mapping it again
 * moved the throw line elsewhere in the file.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { TestContext } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { rendezvousDir, rendezvousOwnerOf } from "../../src/lifecycle/index.js";
import type { Frame } from "../../src/protocol/index.js";
import type { EventsRun } from "../fixtures/events-file.js";
import { markerLine, ofType, runWithEvents } from "../fixtures/events-file.js";

const fixtures = fileURLToPath(new URL("../fixtures/ts-runners/", import.meta.url));
const fixture = join(fixtures, "orders.ts");
const register = fileURLToPath(new URL("../../dist/register.js", import.meta.url));
const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
const scratch = mkdtempSync(join(tmpdir(), "loopscope-ts-runners-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
// The children's XDG_RUNTIME_DIR, and the rendezvous directory in it where the fixture
// waits for its dump (LOOPSCOPE_TEST_DUMP_DIR): not this user's real one.
const runtimeDir = join(scratch, "runtime");
mkdirSync(runtimeDir, { mode: 0o700 });
const dumpDir = rendezvousDir({
  env: { XDG_RUNTIME_DIR: runtimeDir },
  uid: rendezvousOwnerOf().uid,
});

let runs = 0;

/**
 * Run `node <args>` (the preload is in `args`, or in `NODE_OPTIONS` for the tsx CLI) in
 * debug mode, events as JSON lines to a file of its own.
 */
function run(args: readonly string[], env: NodeJS.ProcessEnv = {}): EventsRun {
  const eventsFile = join(scratch, `events-${++runs}.jsonl`);
  return runWithEvents(args, {
    cwd: fixtures,
    eventsFile,
    env: {
      ...process.env,
      LOOPSCOPE_DEBUG: "1",
      LOOPSCOPE_EVENTS: eventsFile,
      // tsx expires its disk cache in the program's own thread soon after start-up: a
      // promise or more per cached file, thousands on a machine that has run these tests
      // often. Debug mode samples its captures under such load, by design; which lines it
      // keeps would then depend on this machine's cache, not on the runner under test.
      TSX_DISABLE_CACHE: "1",
      XDG_RUNTIME_DIR: runtimeDir,
      LOOPSCOPE_TEST_DUMP_DIR: dumpDir,
      ...env,
    },
  });
}

const preload = ["--import", pathToFileURL(register).href];

/** The innermost frame of application code (not Node's, not loopscope's). */
function firstAppFrame(frames: readonly Frame[] | undefined): Frame | undefined {
  return (frames ?? []).find((frame) => frame.internal !== true && frame.loopscope !== true);
}

function where(frame: Frame | undefined): string {
  return frame === undefined ? "no frame" : `${frame.file}:${frame.line}:${frame.col}`;
}

/** The fixture copied into a folder of its own, for runners that need it elsewhere. */
function copyFixture(folder: string): string {
  const dir = join(scratch, folder);
  mkdirSync(dir, { recursive: true });
  const copy = join(dir, "orders.ts");
  copyFileSync(fixture, copy);
  copyFileSync(join(fixtures, "types.ts"), join(dir, "types.ts"));
  return copy;
}

/**
 * The fixture compiled as tsc would, in a folder of its own: `orders.js` (an ES module
 * package) and `orders.js.map` beside a copy of the `.ts`.
 */
function compileWithTsc(folder: string): { source: string; compiled: string } {
  const source = copyFixture(folder);
  writeFileSync(join(scratch, folder, "package.json"), '{ "type": "module" }\n');
  const output = ts.transpileModule(readFileSync(source, "utf8"), {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      sourceMap: true,
    },
    fileName: "orders.ts",
  });
  const compiled = join(scratch, folder, "orders.js");
  writeFileSync(
    compiled,
    `${output.outputText.replace(/\/\/# sourceMappingURL=.*$/m, "")}//# sourceMappingURL=orders.js.map\n`,
  );
  const map = JSON.parse(output.sourceMapText!) as { file: string; sources: string[] };
  map.file = "orders.js";
  map.sources = ["orders.ts"];
  writeFileSync(`${compiled}.map`, JSON.stringify(map));
  return { source, compiled };
}

/**
 * The flags with which this Node runs a `.ts` file itself, feature-detected by running a
 * tiny one: none (type stripping on by default: 22.18+, 23.6+), `extra` alone, or
 * `undefined` when it cannot.
 */
function nodeRunsTypeScript(extra: readonly string[]): readonly string[] | undefined {
  const probe = join(scratch, "probe.ts");
  writeFileSync(probe, "const answer: number = 42;\nconsole.log(answer);\n");
  const tries = extra.length === 0 ? [[], ["--experimental-strip-types"]] : [extra];
  for (const flags of tries) {
    const child = spawnSync(process.execPath, [...flags, probe], {
      cwd: scratch,
      encoding: "utf8",
      timeout: 30_000,
    });
    if (child.status === 0 && child.stdout.trim() === "42") return flags;
  }
  return undefined;
}

/** The four reports of one run, each as a subtest naming the line it checks. */
async function checkReports(t: TestContext, result: EventsRun, source: string): Promise<void> {
  assert.equal(result.code, 1, `the unhandled rejection ends the program:\n${result.stderr}`);
  assert.match(result.stdout, /settling/);

  await t.test("the error's own frame names the throw line", () => {
    const [event] = ofType(result.events, "unhandled-rejection");
    assert.ok(event !== undefined, result.stderr);
    assert.equal(event.error.message, "could not settle ord-39u");
    const frame = firstAppFrame(event.error.stack);
    assert.equal(where(frame), `${source}:${markerLine(source, "throw")}:${frame?.col}`);
    // The text on stderr says the same (Node's own report of the error aside).
    const throwLine = markerLine(source, "throw");
    assert.match(
      result.stderr,
      new RegExp(
        `loopscope: unhandled rejection: Error: could not settle ord-39u\\n\\s+at settle \\([^)\\n]*orders\\.ts:${throwLine}:\\d+\\)`,
      ),
    );
  });

  await t.test("the rejection's creation frames name the fire-and-forget call", () => {
    const [event] = ofType(result.events, "unhandled-rejection");
    const callLine = markerLine(source, "call");
    assert.ok(
      (event?.createdAt ?? []).some((frame) => frame.file === source && frame.line === callLine),
      `${JSON.stringify(event)}\n${result.stderr}`,
    );
  });

  await t.test("the loop-blocked report names the busy loop", () => {
    // Start-up may be reported too (with the preload first, tsx's registering its hooks
    // blocks on their thread), and so may a stall that load on the machine causes while
    // `main` runs (a capture at its `await sleep(300)` line): the busy loop's report is
    // the one in `reconcile`. A function's name survives every runner; its line is what
    // the mapping must get right.
    const reports = ofType(result.events, "loop-blocked");
    const blocked = reports.find((event) =>
      event.stack.some((frame) => frame.file === source && frame.fn === "reconcile"),
    );
    assert.ok(
      blocked !== undefined,
      `${JSON.stringify(reports.map((event) => event.stack.slice(0, 4)))}\n${result.stderr}`,
    );
    const frame = firstAppFrame(blocked.stack);
    assert.equal(where(frame), `${source}:${markerLine(source, "block")}:${frame?.col}`);
  });

  await t.test("the blocking-call report names the synchronous read", () => {
    const event = ofType(result.events, "blocking-call").find(
      (candidate) => candidate.call === "fs.readFileSync",
    );
    assert.ok(event !== undefined, result.stderr);
    const frame = firstAppFrame(event.stack);
    assert.equal(where(frame), `${source}:${markerLine(source, "blocking")}:${frame?.col}`);
  });

  await t.test("the debug-mode dump names the await line", () => {
    const [dump] = ofType(result.events, "task-dump");
    assert.ok(dump !== undefined, result.stderr);
    assert.equal(dump.mode, "debug");
    const task = dump.tasks.find((candidate) => candidate.name === "async awaitRestock");
    assert.ok(task !== undefined, JSON.stringify(dump.tasks.map((candidate) => candidate.name)));
    const frame = firstAppFrame(task.awaiting?.at);
    assert.equal(where(frame), `${source}:${markerLine(source, "await")}:${frame?.col}`);
  });
}

test("tsc output with its source map", async (t) => {
  const { source, compiled } = compileWithTsc("tsc");
  await checkReports(t, run([...preload, compiled]), source);
});

test("tsc output with --enable-source-maps (Node maps error.stack itself)", async (t) => {
  const { source, compiled } = compileWithTsc("tsc-node-maps");
  await checkReports(t, run(["--enable-source-maps", ...preload, compiled]), source);
});

test("tsc output run by node --import tsx", async (t) => {
  const { source, compiled } = compileWithTsc("tsc-tsx");
  await checkReports(t, run(["--import", "tsx", ...preload, compiled]), source);
});

test("node --import tsx (an ES module)", async (t) => {
  await checkReports(t, run(["--import", "tsx", ...preload, fixture]), fixture);
});

test("node --import tsx (a CommonJS package: tsx compiles to require)", async (t) => {
  const source = copyFixture("cjs");
  writeFileSync(join(scratch, "cjs", "package.json"), '{ "type": "commonjs" }\n');
  await checkReports(t, run(["--import", "tsx", ...preload, source]), source);
});

test("node --frozen-intrinsics --import tsx (stacks read from their text, mapped by Node)", async (t) => {
  const probe = spawnSync(process.execPath, ["--frozen-intrinsics", "-e", "0"], {
    timeout: 30_000,
  });
  if (probe.status !== 0) {
    t.skip(`no --frozen-intrinsics in this Node (${process.version})`);
    return;
  }
  await checkReports(
    t,
    run(["--frozen-intrinsics", "--import", "tsx", ...preload, fixture]),
    fixture,
  );
});

test("the tsx CLI (the preload in NODE_OPTIONS, as `loopscope run` does)", async (t) => {
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ""} --import=${pathToFileURL(register).href}`;
  await checkReports(t, run([tsxCli, fixture], { NODE_OPTIONS: nodeOptions.trim() }), fixture);
});

test("Node's own type stripping", async (t) => {
  const flags = nodeRunsTypeScript([]);
  if (flags === undefined) {
    t.skip(`no type stripping in this Node (${process.version})`);
    return;
  }
  await checkReports(t, run([...flags, ...preload, fixture]), fixture);
});

test("Node's --experimental-transform-types (Node maps error.stack itself)", async (t) => {
  const flags = nodeRunsTypeScript(["--experimental-transform-types"]);
  if (flags === undefined) {
    t.skip(`no --experimental-transform-types in this Node (${process.version})`);
    return;
  }
  await checkReports(t, run([...flags, ...preload, fixture]), fixture);
});
