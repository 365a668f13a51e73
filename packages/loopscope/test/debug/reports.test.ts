/**
 * Debug mode end to end: each fixture runs in a child process with the debug preload,
 * and every report must name the fixture's marked line (`// @name`). The same fixture
 * runs without loopscope too: exit code and the application's own output must match.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import ts from "typescript";
import type { Frame } from "../../src/protocol/index.js";
import type { EventsRun } from "../fixtures/events-file.js";
import { markerLine, ofType, runWithEvents } from "../fixtures/events-file.js";

const fixtures = fileURLToPath(new URL("../fixtures/debug/", import.meta.url));
const preload = join(fixtures, "debug-preload.ts");
const scratch = mkdtempSync(join(tmpdir(), "loopscope-debug-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

let runs = 0;
function run(script: string, options: { debug: boolean; env?: NodeJS.ProcessEnv }): EventsRun {
  const eventsFile = join(scratch, `events-${++runs}.jsonl`);
  const args = ["--import", "tsx", ...(options.debug ? ["--import", preload] : []), script];
  const env = { ...process.env, ...options.env, LOOPSCOPE_TEST_EVENTS: eventsFile };
  return runWithEvents(args, { cwd: fixtures, env, eventsFile, timeoutMs: 30_000 });
}

function namesLine(frames: readonly Frame[] | undefined, file: string, line: number): boolean {
  return (frames ?? []).some((frame) => frame.file === file && frame.line === line);
}

test("blocking calls through ESM imports name their lines; start-up and repeats are not reported", () => {
  const file = join(fixtures, "blocking-esm.mjs");
  const result = run(file, { debug: true });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "done\n");
  const blocking = ofType(result.events, "blocking-call");
  const byCall = new Map(blocking.map((e) => [e.call, e]));
  assert.deepEqual([...byCall.keys()].sort(), [
    "Atomics.wait",
    "crypto.pbkdf2Sync",
    "fs.readFileSync",
    "zlib.gzipSync",
  ]);
  assert.equal(blocking.length, 4, "five reads from one site: one report");
  assert.ok(namesLine(byCall.get("fs.readFileSync")?.stack, file, markerLine(file, "read")));
  assert.ok(namesLine(byCall.get("crypto.pbkdf2Sync")?.stack, file, markerLine(file, "pbkdf2")));
  assert.ok(namesLine(byCall.get("zlib.gzipSync")?.stack, file, markerLine(file, "gzip")));
  assert.ok(namesLine(byCall.get("Atomics.wait")?.stack, file, markerLine(file, "atomics")));
  assert.ok(!blocking.some((e) => namesLine(e.stack, file, markerLine(file, "startup"))));
  assert.match(result.stderr, /blocking call fs\.readFileSync/);
});

test("blocking calls through require() name their lines", () => {
  const file = join(fixtures, "blocking-cjs.cjs");
  const result = run(file, { debug: true });
  assert.equal(result.code, 0, result.stderr);
  const blocking = ofType(result.events, "blocking-call");
  assert.deepEqual(
    blocking.map((e) => e.call),
    ["fs.readFileSync", "child_process.execFileSync"],
  );
  assert.ok(namesLine(blocking[0]!.stack, file, markerLine(file, "read")));
  assert.ok(namesLine(blocking[1]!.stack, file, markerLine(file, "exec")));
});

/**
 * A TypeScript fixture copied to the scratch directory and compiled next to it to
 * JavaScript with a source map, as tsc would: reports must name the copy's `.ts` lines.
 */
function compileTs(name: string): { source: string; compiled: string } {
  const source = join(scratch, `${name}.ts`);
  copyFileSync(join(fixtures, `${name}.ts`), source);
  const output = ts.transpileModule(readFileSync(source, "utf8"), {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      sourceMap: true,
    },
    fileName: `${name}.ts`,
  });
  const compiled = join(scratch, `${name}.mjs`);
  writeFileSync(
    compiled,
    `${output.outputText.replace(/\/\/# sourceMappingURL=.*$/m, "")}//# sourceMappingURL=${name}.mjs.map\n`,
  );
  const map = JSON.parse(output.sourceMapText!) as { file: string; sources: string[] };
  map.file = `${name}.mjs`;
  map.sources = [`${name}.ts`];
  writeFileSync(join(scratch, `${name}.mjs.map`), JSON.stringify(map));
  return { source, compiled };
}

test("compiled TypeScript: the report names the .ts line through the source map", () => {
  const { source, compiled } = compileTs("blocking-ts");
  const result = run(compiled, { debug: true });
  assert.equal(result.code, 0, result.stderr);
  const [event] = ofType(result.events, "blocking-call");
  assert.equal(event?.call, "fs.readFileSync");
  assert.ok(
    namesLine(event.stack, source, markerLine(source, "read")),
    JSON.stringify(event.stack),
  );
});

test("compiled TypeScript: an unhandled rejection names the .ts fire-and-forget line", () => {
  const { source, compiled } = compileTs("rejection-ts");
  const plain = run(compiled, { debug: false });
  const debug = run(compiled, { debug: true });
  assert.equal(plain.code, 1);
  assert.equal(debug.code, plain.code);
  assert.equal(debug.stdout, plain.stdout);

  const [event] = ofType(debug.events, "unhandled-rejection");
  assert.ok(event !== undefined, debug.stderr);
  assert.equal(event.error.message, "could not handle cattle-ab12");
  assert.ok(
    namesLine(event.stack, source, markerLine(source, "throw")),
    JSON.stringify(event.stack),
  );
  assert.ok(
    namesLine(event.createdAt, source, markerLine(source, "call")),
    JSON.stringify(event.createdAt),
  );
  // The text on stderr names the .ts file's lines, not the compiled JavaScript's.
  assert.ok(debug.stderr.includes(`rejection-ts.ts:${markerLine(source, "call")}:`), debug.stderr);
});

test("a fire-and-forget call that fails names the line that called it; Node's handling is unchanged", () => {
  const file = join(fixtures, "rejection.mjs");
  const plain = run(file, { debug: false });
  const debug = run(file, { debug: true });
  assert.equal(plain.code, 1);
  assert.equal(debug.code, plain.code);
  assert.equal(debug.stdout, plain.stdout);
  // Node's own report of the error, identical (the app's throw line above it included).
  const nodeReport = plain.stderr.slice(0, plain.stderr.indexOf("Node.js v"));
  assert.ok(debug.stderr.includes(nodeReport), debug.stderr);

  const [event] = ofType(debug.events, "unhandled-rejection");
  assert.ok(event !== undefined, debug.stderr);
  assert.equal(event.error.message, "could not handle cattle-ab12");
  assert.ok(namesLine(event.stack, file, markerLine(file, "throw")));
  assert.ok(
    namesLine(event.createdAt, file, markerLine(file, "call")),
    JSON.stringify(event.createdAt),
  );
  assert.ok(
    !namesLine(event.stack, file, markerLine(file, "call")),
    "the error's own stack cannot tell",
  );
});

test("an application that handles unhandled rejections keeps its handling and exit code", () => {
  const file = join(fixtures, "rejection.mjs");
  const env = { APP_HANDLES: "1" };
  const plain = run(file, { debug: false, env });
  const debug = run(file, { debug: true, env });
  assert.equal(plain.code, 3);
  assert.equal(debug.code, 3);
  assert.equal(debug.stdout, plain.stdout);
  const [event] = ofType(debug.events, "unhandled-rejection");
  assert.ok(namesLine(event?.createdAt, file, markerLine(file, "call")));
});

test("a task that failed while nobody awaited it: task-exception-never-retrieved with its creation line", () => {
  const file = join(fixtures, "task-failure.mjs");
  const plain = run(file, { debug: false });
  const debug = run(file, { debug: true });
  assert.equal(debug.code, plain.code);
  assert.equal(debug.stdout, plain.stdout);
  assert.equal(ofType(debug.events, "unhandled-rejection").length, 0);
  const [event] = ofType(debug.events, "task-exception-never-retrieved");
  assert.ok(event !== undefined, debug.stderr);
  assert.equal(event.task.name, "save cattle-ab12");
  assert.equal(event.error.message, "could not save cattle-ab12");
  assert.ok(
    namesLine(event.task.createdAt, file, markerLine(file, "spawn")),
    JSON.stringify(event.task),
  );
  assert.match(debug.stderr, /nobody retrieved its exception/);
});
