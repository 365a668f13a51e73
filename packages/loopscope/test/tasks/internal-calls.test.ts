/**
 * The debug-mode dump of a real program under the preload: Node's own pending async
 * calls (module loading) are in the JSON event, marked `internal`, and folded into one
 * line of the text; the application's tasks are shown with their await line and time.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it, before } from "node:test";
import type { TaskDumpEvent } from "../../src/protocol/index.js";
import { assertBuilt, cleanEnv, fixture, packageDir, run } from "../fixtures/child-process.js";

describe("debug-mode dump under the preload", () => {
  before(assertBuilt);

  it("folds Node's own pending async calls and keeps them, marked, in the event", async () => {
    const script = fixture("tasks/internal-calls.mjs");
    const result = await run(process.execPath, ["--import", "loopscope/register", script], {
      cwd: packageDir,
      env: cleanEnv({ LOOPSCOPE_DEBUG: "1" }),
    });
    assert.equal(result.code, 0, result.stderr);
    const newline = result.stdout.indexOf("\n");
    const dump = JSON.parse(result.stdout.slice(0, newline)) as TaskDumpEvent;
    const text = result.stdout.slice(newline + 1);

    const internal = dump.tasks.filter((t) => t.internal === true);
    const mine = dump.tasks.filter((t) => t.name.startsWith("handle cattle-"));
    assert.equal(mine.length, 3);
    assert.ok(mine.every((t) => t.internal === undefined && t.steps === 2));
    assert.ok(internal.length > 0, "module loading leaves Node's own calls pending");
    assert.ok(internal.every((t) => t.id === 0 && t.awaiting!.at.every((f) => f.internal)));

    assert.match(text, /^3 pending tasks, in 1 group$/m);
    assert.match(
      text,
      /^ {2}e\.g\. 1 "handle cattle-ab12", 2 "handle cattle-cd34", 3 "handle cattle-ef56"$/m,
    );
    const awaitLine =
      readFileSync(script, "utf8")
        .split("\n")
        .findIndex((line) => line.includes("// @await")) + 1;
    assert.match(
      text,
      new RegExp(`^ {4}at handleMessage \\(\\S+internal-calls\\.mjs:${awaitLine}:\\d+\\)$`, "m"),
    );
    assert.ok(
      text
        .trimEnd()
        .endsWith(
          `+ ${internal.length} pending async calls inside Node itself (module loading), hidden`,
        ),
      text,
    );
    assert.doesNotMatch(text, /ModuleLoader/);
  });
});
