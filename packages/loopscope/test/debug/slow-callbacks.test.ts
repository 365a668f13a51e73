/**
 * Slow callbacks in debug mode, end to end: the real preload with LOOPSCOPE_DEBUG=1 runs
 * a task that blocks the loop after an `await`. The watchdog's `loop-blocked` report must
 * name the blocking line and the task (name and creation line), in the TypeScript source
 * through its source map and in plain JavaScript; a block under the threshold is silent.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import ts from "typescript";
import type { Frame, LoopBlockedEvent, LoopscopeEvent } from "../../src/report/index.js";
import { assertBuilt, cleanEnv, fixture, packageDir, run } from "../fixtures/child-process.js";

const source = fixture("debug/slow-task.ts");
const scratch = mkdtempSync(join(tmpdir(), "loopscope-slow-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** 1-based line of the `// @marker` comment in a file. */
function markerLine(file: string, marker: string): number {
  const index = readFileSync(file, "utf8")
    .split("\n")
    .findIndex((line) => line.includes(`// @${marker}`));
  assert.notEqual(index, -1, `marker @${marker} in ${file}`);
  return index + 1;
}

function namesLine(frames: readonly Frame[] | undefined, file: string, line: number): boolean {
  return (frames ?? []).some((frame) => frame.file === file && frame.line === line);
}

/**
 * The fixture compiled to JavaScript in the scratch directory, with or without a source
 * map. `loopscope` becomes the built package's URL: the scratch directory is outside it.
 */
function compile(name: string, withMap: boolean): string {
  const output = ts.transpileModule(readFileSync(source, "utf8"), {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      sourceMap: withMap,
    },
    fileName: "slow-task.ts",
  });
  const loopscope = pathToFileURL(join(packageDir, "dist/index.js")).href;
  let code = output.outputText
    .replace(/from "loopscope"/, `from ${JSON.stringify(loopscope)}`)
    .replace(/\/\/# sourceMappingURL=.*$/m, "");
  const compiled = join(scratch, `${name}.mjs`);
  if (withMap) {
    code += `//# sourceMappingURL=${name}.mjs.map\n`;
    const map = JSON.parse(output.sourceMapText!) as { file: string; sources: string[] };
    map.file = `${name}.mjs`;
    map.sources = [source];
    writeFileSync(join(scratch, `${name}.mjs.map`), JSON.stringify(map));
  }
  writeFileSync(compiled, code);
  return compiled;
}

async function runDebug(script: string): Promise<{ blocked: LoopBlockedEvent[]; text: string }> {
  const eventsFile = join(scratch, `${Date.now()}-${Math.random()}.jsonl`);
  const result = await run(process.execPath, ["--import", "loopscope/register", script], {
    cwd: packageDir,
    env: cleanEnv({ LOOPSCOPE_DEBUG: "1", LOOPSCOPE_SLOW_MS: "100", LOOPSCOPE_EVENTS: eventsFile }),
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "done\n");
  const events = readFileSync(eventsFile, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as LoopscopeEvent);
  const blocked = events.filter((e): e is LoopBlockedEvent => e.type === "loop-blocked");
  return { blocked, text: result.stderr };
}

describe("debug mode: a slow callback names its line and its task", () => {
  before(assertBuilt);

  for (const variant of ["TypeScript through its source map", "plain JavaScript"] as const) {
    it(variant, async () => {
      const withMap = variant !== "plain JavaScript";
      const script = compile(withMap ? "mapped" : "plain", withMap);
      const file = withMap ? source : script;
      const { blocked, text } = await runDebug(script);

      const slow = blocked.find((e) => namesLine(e.stack, file, markerLine(file, "slow")));
      assert.ok(slow !== undefined, `a loop-blocked event naming @slow:\n${text}`);
      // The innermost frame is the loop itself (tsc puts the JavaScript's comment a line
      // below the loop's condition, so only the source-mapped line is compared).
      assert.equal(slow.stack[0]?.fn, "spin", JSON.stringify(slow.stack));
      if (withMap) assert.equal(slow.stack[0]?.line, markerLine(file, "spin"));
      assert.equal(slow.task?.name, "handle cattle-ab12", JSON.stringify(slow));
      assert.ok(
        namesLine(slow.task.createdAt, file, markerLine(file, "spawn")),
        JSON.stringify(slow.task.createdAt),
      );
      assert.match(text, /event loop blocked for \d+ ms in task \d+ "handle cattle-ab12"/);

      const fast = blocked.filter((e) => namesLine(e.stack, file, markerLine(file, "fast")));
      assert.deepEqual(fast, [], "a block under LOOPSCOPE_SLOW_MS is not reported");
    });
  }
});
