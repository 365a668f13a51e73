import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { errorInfo } from "../../src/stacks/index.js";
import { nodeMapsStackText } from "../../src/stacks/source-maps.js";

const thisFile = fileURLToPath(import.meta.url);

/** 1-based line of the first line of this file holding `marker` (not this helper's calls). */
function lineOf(marker: string): number {
  const lines = readFileSync(thisFile, "utf8").split("\n");
  const index = lines.findIndex((line) => line.includes(marker) && !line.includes("lineOf("));
  assert.ok(index >= 0, marker);
  return index + 1;
}

describe("errorInfo", () => {
  it("describes an Error with its parsed stack", () => {
    class RestartFailed extends Error {
      override name = "RestartFailed";
    }
    function failHere(): Error {
      return new RestartFailed("host down");
    }
    const info = errorInfo(failHere());
    assert.equal(info.name, "RestartFailed");
    assert.equal(info.message, "host down");
    assert.equal(info.stack[0]?.fn, "failHere");
    assert.equal(info.stack[0]?.file, fileURLToPath(import.meta.url));
  });

  // tsx, which runs this file, turns Node's source maps on and maps the file onto itself:
  // `error.stack` comes already mapped by Node, and must not be mapped again.
  it("names the line the error was made on when Node's source maps are on", () => {
    assert.equal(nodeMapsStackText(), true, "tsx turned Node's source maps on");
    const made = (): Error => new Error("here"); // MADE-HERE
    const frame = errorInfo(made()).stack[0];
    assert.equal(frame?.file, thisFile);
    assert.equal(frame?.line, lineOf("MADE-HERE"));
  });

  it("maps an eval's call site, which Node leaves unmapped", () => {
    const made = (): Error => eval("new Error('in eval')") as Error; // EVAL-HERE
    const frame = errorInfo(made()).stack[0];
    assert.equal(frame?.fn, "eval");
    assert.equal(frame?.file, thisFile);
    assert.equal(frame?.line, lineOf("EVAL-HERE"));
  });

  it("maps the raw positions of an application's own Error.prepareStackTrace once", () => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back, never called
    const previous = Error.prepareStackTrace;
    // V8's positions as they are, without Node's source maps: what a custom formatter prints.
    Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]): string =>
      [
        String(error),
        ...sites.map(
          (site) =>
            `    at ${site.getFunctionName() ?? "<anonymous>"} (${site.getFileName() ?? ""}:${site.getLineNumber() ?? 0}:${site.getColumnNumber() ?? 0})`,
        ),
      ].join("\n");
    try {
      assert.equal(nodeMapsStackText(), false);
      const made = (): Error => new Error("custom"); // CUSTOM-HERE
      const frame = errorInfo(made()).stack[0];
      assert.equal(frame?.file, thisFile);
      assert.equal(frame?.line, lineOf("CUSTOM-HERE"));
    } finally {
      Error.prepareStackTrace = previous;
    }
  });

  it("describes thrown values that are not errors", () => {
    assert.deepEqual(errorInfo("boom"), { name: "string", message: "boom", stack: [] });
    assert.deepEqual(errorInfo(undefined), { name: "undefined", message: "undefined", stack: [] });
    assert.deepEqual(errorInfo(null), { name: "null", message: "null", stack: [] });
    assert.equal(errorInfo({ reason: 1 }).name, "Object");
  });

  it("never throws, even when the error's getters do", () => {
    const hostile = new Error("x");
    Object.defineProperty(hostile, "stack", {
      get() {
        throw new Error("no stack for you");
      },
    });
    assert.deepEqual(errorInfo(hostile), { name: "Error", message: "x", stack: [] });
    const proxy = new Proxy(
      {},
      {
        get() {
          throw new Error("trap");
        },
        has() {
          throw new Error("trap");
        },
      },
    );
    assert.doesNotThrow(() => errorInfo(proxy));
  });
});
