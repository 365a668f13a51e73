import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { checkLayers } from "../../../../scripts/check-layers.mjs";

/**
 * loopscope's layers, bottom first: a folder imports only folders below it, and only
 * through their index.ts. `errors` is the error base and code table (config/errors.ts
 * until it has its own folder); `render` sits below `events` because the event stream
 * prints each event as text; `recorder` between `events` (it listens to the stream) and
 * `tasks` (the registry records into it); "." is the top-level files (index, internal,
 * register).
 */
const LOOPSCOPE_LAYERS = [
  "protocol",
  "errors",
  "config",
  "patches",
  "stacks",
  "render",
  "events",
  "recorder",
  "tasks",
  "debug",
  "watchdog",
  "metrics",
  "inspector",
  "lifecycle",
  "cli",
  ".",
] as const;

const srcDir = join(dirname(fileURLToPath(import.meta.url)), "../../src");

describe("loopscope's layering", () => {
  it("has no import around an index, no cycle between folders and no upward import", () => {
    const violations = checkLayers(srcDir, LOOPSCOPE_LAYERS);
    assert.deepEqual(
      violations.map((v) => v.message),
      [],
    );
  });
});

describe("check-layers", () => {
  const scratch = mkdtempSync(join(tmpdir(), "loopscope-layers-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  function write(path: string, text: string): void {
    mkdirSync(dirname(join(scratch, path)), { recursive: true });
    writeFileSync(join(scratch, path), text);
  }

  it("catches a planted bypass, cycle, upward import and unlisted folder", () => {
    write("low/index.ts", 'export { helper } from "./helper.js";\n');
    // Upward, and half of a cycle: low imports high.
    write("low/helper.ts", 'import { top } from "../high/index.js";\nexport const helper = top;\n');
    write("high/index.ts", 'export { top } from "./top.js";\n');
    // Around low's index: straight into its helper.
    write("high/top.ts", 'import { helper } from "../low/helper.js";\nexport const top = 1;\n');
    write("stray/index.ts", 'export type { X } from "../low/index.js";\n');

    const violations = checkLayers(scratch, ["low", "high"]);
    const kinds = new Set(violations.map((v) => v.kind));
    assert.deepEqual([...kinds].sort(), ["bypass", "cycle", "unlisted", "upward"]);
    assert.ok(violations.some((v) => v.kind === "bypass" && v.message.includes("high/top.ts:1")));
    assert.ok(violations.some((v) => v.kind === "upward" && v.message.includes("low/helper.ts:1")));
    assert.ok(violations.some((v) => v.kind === "unlisted" && v.message.includes("stray/")));
  });

  it("passes the same folders once the planted violations are gone", () => {
    write("low/helper.ts", "export const helper = 1;\n");
    write("high/top.ts", 'import { helper } from "../low/index.js";\nexport const top = helper;\n');
    rmSync(join(scratch, "stray"), { recursive: true });
    assert.deepEqual(checkLayers(scratch, ["low", "high"]), []);
  });
});
