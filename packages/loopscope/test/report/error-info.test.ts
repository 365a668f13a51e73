import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { errorInfo } from "../../src/report/index.js";

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
