/**
 * One error base and one table of codes: every `LOOPSCOPE_ERR_*` code the sources use is
 * in `ErrorCode`, every code in the table is used, and every error class extends
 * `LoopscopeError` with its code first.
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { ErrorCode, LoopscopeError } from "../../src/errors/index.js";
import { LoopscopeConfigError } from "../../src/config/index.js";
import { MissingPackageError } from "../../src/metrics/index.js";
import { UnsafeRendezvousError } from "../../src/lifecycle/rendezvous.js";
import { PrometheusServerError } from "../../src/metrics/prometheus.js";
import { WatchdogError } from "../../src/watchdog/index.js";
import { InspectorError } from "../../src/inspector/index.js";

const srcDir = fileURLToPath(new URL("../../src", import.meta.url));
const tableFile = join(srcDir, "errors", "codes.ts");

/** Every `LOOPSCOPE_ERR_*` string in the sources outside the table itself. */
function codesUsedInSources(): Set<string> {
  const used = new Set<string>();
  const files = readdirSync(srcDir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => join(srcDir, file))
    .filter((file) => file !== tableFile);
  for (const file of files) {
    for (const match of readFileSync(file, "utf8").matchAll(/LOOPSCOPE_ERR_[A-Z_]+/g)) {
      used.add(match[0]);
    }
  }
  return used;
}

describe("ErrorCode", () => {
  it("lists every code the sources use, and only those", () => {
    assert.deepEqual([...codesUsedInSources()].sort(), Object.values(ErrorCode).sort());
  });

  it("is frozen", () => {
    assert.ok(Object.isFrozen(ErrorCode));
  });
});

describe("LoopscopeError", () => {
  it("takes the code, the message and the options, in that order", () => {
    const cause = new Error("underneath");
    const error = new LoopscopeError(ErrorCode.config, "what went wrong", { cause });
    assert.equal(error.code, "LOOPSCOPE_ERR_CONFIG");
    assert.equal(error.message, "what went wrong");
    assert.equal(error.cause, cause);
    assert.equal(error.name, "LoopscopeError");
  });

  it("is the base of every loopscope error class, each named after itself", () => {
    const errors = [
      new LoopscopeConfigError("LOOPSCOPE_SLOW_MS", "abc", "a positive integer"),
      new MissingPackageError("hot-shots"),
      new PrometheusServerError(ErrorCode.prometheusListen, "port in use"),
      new InspectorError(ErrorCode.inspectListen, "port in use"),
      new WatchdogError(ErrorCode.watchdogRunning, "already running"),
      new UnsafeRendezvousError("/tmp/x", "is a symbolic link", "use"),
    ];
    for (const error of errors) {
      assert.ok(error instanceof LoopscopeError, error.name);
      assert.equal(error.name, error.constructor.name);
      assert.ok((Object.values(ErrorCode) as string[]).includes(error.code), error.code);
    }
  });

  it("keeps LoopscopeConfigError's shape: the variable, the value, a printable message", () => {
    const error = new LoopscopeConfigError("LOOPSCOPE_SLOW_MS", "abc", "a positive integer");
    assert.equal(error.code, "LOOPSCOPE_ERR_CONFIG");
    assert.equal(error.variable, "LOOPSCOPE_SLOW_MS");
    assert.equal(error.value, "abc");
    assert.equal(error.message, 'LOOPSCOPE_SLOW_MS must be a positive integer, got "abc"');
  });
});
