import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { checkLayers } from "../../../../scripts/check-layers.mjs";

/**
 * Mayhem's layers, bottom first: a folder imports only folders below it, and only through
 * their index.ts (or a sub-folder's, as `broker/nats`). `errors` is the error base and code
 * table; `log` knows nothing of the service; `config` reads knobs and names the defects the
 * service injects; `bench` and `cli` are programs built on the service; "." is the package's
 * library face (the brokers). The checker itself is tested in loopscope's layers test.
 */
const MAYHEM_LAYERS = [
  "errors",
  "log",
  "message",
  "broker",
  "config",
  "service",
  "bench",
  "cli",
  ".",
] as const;

const srcDir = join(dirname(fileURLToPath(import.meta.url)), "../../src");

describe("mayhem's layering", () => {
  it("has no import around an index, no cycle between folders and no upward import", () => {
    const violations = checkLayers(srcDir, MAYHEM_LAYERS);
    assert.deepEqual(
      violations.map((v) => v.message),
      [],
    );
  });
});
