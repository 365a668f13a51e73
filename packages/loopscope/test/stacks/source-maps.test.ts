import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { captureStack, parseStack, resolveStack } from "../../src/stacks/frames.js";
import type { RawStack } from "../../src/stacks/frames.js";
import { clearSourceMapCache, mapPosition } from "../../src/stacks/source-maps.js";

const fixture = fileURLToPath(new URL("../fixtures/thrower.ts", import.meta.url));
const fixtureSource = readFileSync(fixture, "utf8");
const lineOf = (marker: string): number =>
  fixtureSource.split("\n").findIndex((line) => line.includes(marker)) + 1;

interface Thrower {
  makeError(cattle: { id: string }): Error;
  where(capture: () => unknown): unknown;
}

/** Compile the fixture with the TypeScript compiler, the map beside the .js or inline. */
async function compile(dir: string, name: string, inline: boolean): Promise<Thrower> {
  const out = ts.transpileModule(fixtureSource, {
    fileName: fixture,
    compilerOptions: {
      module: ts.ModuleKind.ES2022,
      target: ts.ScriptTarget.ES2022,
      sourceMap: !inline,
      inlineSourceMap: inline,
      // The map's `sources` must name the real fixture, not a copy in the temporary directory.
      sourceRoot: pathToFileURL(join(fixture, "..")).href,
    },
  });
  const jsFile = join(dir, `${name}.js`);
  let js = out.outputText;
  if (!inline) {
    js = js.replace(/sourceMappingURL=.*$/m, `sourceMappingURL=${name}.js.map`);
    writeFileSync(`${jsFile}.map`, out.sourceMapText ?? "");
  }
  writeFileSync(jsFile, js);
  return (await import(pathToFileURL(jsFile).href)) as Thrower;
}

describe("source maps", () => {
  let dir: string;
  let withFileMap: Thrower;
  let withInlineMap: Thrower;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "loopscope-sourcemap-"));
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
    withFileMap = await compile(dir, "thrower", false);
    withInlineMap = await compile(dir, "thrower-inline", true);
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
    clearSourceMapCache();
  });

  it("maps an error's stack to the .ts line (map file)", () => {
    const frames = parseStack(withFileMap.makeError({ id: "ab12" }).stack ?? "");
    assert.equal(frames[0]?.file, fixture);
    assert.equal(frames[0]?.line, lineOf("// line 10"));
    assert.equal(frames[0]?.fn.endsWith("makeError"), true);
  });

  it("maps an error's stack to the .ts line (inline data: URL map)", () => {
    const frames = parseStack(withInlineMap.makeError({ id: "ab12" }).stack ?? "");
    assert.equal(frames[0]?.file, fixture);
    assert.equal(frames[0]?.line, lineOf("// line 10"));
  });

  it("maps a captured stack to the .ts line", () => {
    const raw = withFileMap.where(() => captureStack()) as RawStack;
    // Innermost first: the arrow function in this file, then `where` in the fixture.
    const frame = resolveStack(raw)[1];
    assert.equal(frame?.fn.endsWith("where"), true);
    assert.equal(frame?.file, fixture);
    assert.equal(frame?.line, lineOf("// line 14"));
  });

  it("keeps the generated position when the map is missing or broken", () => {
    const broken = join(dir, "broken.js");
    writeFileSync(broken, "export const x = 1;\n//# sourceMappingURL=broken.js.map\n");
    writeFileSync(`${broken}.map`, "{ not json");
    const missing = join(dir, "missing.js");
    writeFileSync(missing, "export const y = 2;\n//# sourceMappingURL=nowhere.js.map\n");
    assert.equal(mapPosition(broken, 1, 1), undefined);
    assert.equal(mapPosition(missing, 1, 1), undefined);
    assert.deepEqual(parseStack(`    at f (${broken}:1:8)`)[0], {
      fn: "f",
      file: broken,
      line: 1,
      col: 8,
    });
  });

  it("leaves files that do not exist alone", () => {
    assert.equal(mapPosition(join(dir, "never-written.js"), 3, 4), undefined);
    assert.equal(mapPosition("node:internal/timers", 3, 4), undefined);
  });
});
