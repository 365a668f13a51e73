import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Frame } from "../../src/protocol/index.js";

const fixture = fileURLToPath(new URL("../fixtures/tasks/never-resumes.ts", import.meta.url));
/** The fixture's line of the await nothing can settle. */
const foreverLine =
  readFileSync(fixture, "utf8")
    .split("\n")
    .findIndex((line) => line.includes("nothing can ever settle this")) + 1;

interface Outcome {
  events: { id: number; name: string; stack: Frame[] }[];
  dumped: { id: number; state: string; neverResumes: boolean; awaitingLine?: number }[];
  text: string;
  lostId: number;
  aliveState: string;
}

const outcomes = new Map<"production" | "debug", Outcome>();

/** The fixture's outcome in `mode`, run once per mode (a child process each). */
function run(mode: "production" | "debug"): Outcome {
  let outcome = outcomes.get(mode);
  if (outcome === undefined) {
    outcome = runFixture(mode);
    outcomes.set(mode, outcome);
  }
  return outcome;
}

/** Run the fixture in a child with --expose-gc: garbage collection must be forced. */
function runFixture(mode: "production" | "debug"): Outcome {
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

  it("stays in later dumps, marked as never resuming, apart from the tasks that can", () => {
    const outcome = run("production");
    const lost = outcome.dumped.find((t) => t.id === outcome.lostId);
    assert.deepEqual(lost, { id: outcome.lostId, state: "pending", neverResumes: true });
    assert.equal(outcome.dumped.filter((t) => t.neverResumes).length, 1);
    assert.match(outcome.text, /1 of them can never resume/);
    assert.match(
      outcome.text,
      new RegExp(`task ${outcome.lostId} "lost" \\[pending .*NEVER RESUMES`),
    );
    assert.match(outcome.text, /task \d+ "alive" \[pending [^\]N]*\]/);
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
    assert.equal(top?.line, foreverLine);
    // The dump keeps the await it is stuck on.
    const lost = outcome.dumped.find((t) => t.id === outcome.events[0]!.id);
    assert.equal(lost?.neverResumes, true);
    assert.equal(lost?.awaitingLine, foreverLine);
  });
});
