import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Frame } from "../../src/report/types.js";

const fixture = fileURLToPath(new URL("../fixtures/tasks/never-resumes.ts", import.meta.url));

interface Outcome {
  events: { id: number; name: string; stack: Frame[] }[];
  lostId: number;
  aliveState: string;
}

/** Run the fixture in a child with --expose-gc: garbage collection must be forced. */
function run(mode: "production" | "debug"): Outcome {
  const result = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", fixture, mode], {
    encoding: "utf8",
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as Outcome;
}

describe("a task that can never resume", () => {
  it("is reported once when nothing can settle what it awaits; a task whose resolver is kept is not", () => {
    const outcome = run("production");
    assert.deepEqual(
      outcome.events.map((e) => e.name),
      ["lost"],
    );
    assert.equal(outcome.events[0]!.id, outcome.lostId);
    assert.equal(outcome.aliveState, "pending");
  });

  it("in debug mode the event names the await line", () => {
    const outcome = run("debug");
    assert.deepEqual(
      outcome.events.map((e) => e.name),
      ["lost"],
    );
    const top = outcome.events[0]!.stack[0];
    assert.equal(top?.fn, "waitForever");
    assert.equal(top?.file, fixture);
    assert.equal(top?.line, 17);
  });
});
