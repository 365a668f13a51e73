/**
 * The flight recorder over the inspector's protocol: `GET /api/recorder` from a real process
 * under the preload with the inspector on, and `loopscope dump <url | pid> --recorder`,
 * which reads it there.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { RecorderAnswer, RecorderFile } from "../../src/protocol/index.js";
import { PROTOCOL_VERSION } from "../../src/protocol/index.js";
import { assertBuilt, cleanEnv, cliMain, run } from "../fixtures/child-process.js";
import type { InspectedApp } from "../fixtures/inspected-app.js";
import { startInspectedApp } from "../fixtures/inspected-app.js";

/** Ask until `check` accepts the answer: the tasks end on the process's own time. */
async function eventually<T>(ask: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    const value = await ask();
    if (check(value)) return value;
    await sleep(delay);
  }
}

describe("GET /api/recorder", () => {
  let inspected: InspectedApp;
  before(async () => {
    assertBuilt();
    inspected = await startInspectedApp();
    await inspected.command("finish 6");
  });
  after(async () => {
    await inspected?.stop();
  });

  const recorder = async (query = ""): Promise<RecorderAnswer> => {
    const { status, body } = await inspected.request(`api/recorder${query}`);
    assert.equal(status, 200);
    return body as RecorderAnswer;
  };

  it("answers the recorder's window, with the tasks the process ran", async () => {
    const answer = await eventually(recorder, (a) =>
      (a.window?.entries ?? []).some((e) => e.kind === "task-end" && e.detail === "cancelled"),
    );
    assert.equal(answer.protocol, PROTOCOL_VERSION);
    assert.equal(answer.type, "recorder");
    assert.equal(answer.stale, false);
    const outcomes = new Set(
      answer
        .window!.entries.filter(
          (entry) => entry.kind === "task-end" && entry.task?.name.startsWith("finishing"),
        )
        .map((entry) => entry.detail),
    );
    assert.deepEqual([...outcomes].sort(), ["cancelled", "done", "failed"]);
    assert.ok(
      answer.window!.entries.some(
        (e) => e.kind === "task-cancel" && e.detail === "stopped by the fixture",
      ),
    );
  });

  it("takes a limit, and refuses a bad one", async () => {
    const answer = await recorder("?limit=2");
    assert.equal(answer.window!.entries.length, 2);
    assert.ok(answer.window!.omitted > 0);
    for (const bad of ["?limit=0", "?limit=4097", "?limit=x", "?other=1"]) {
      const { status, body } = await inspected.request(`api/recorder${bad}`);
      assert.equal(status, 400, bad);
      assert.equal(
        (body as { error: { code: string } }).error.code,
        "LOOPSCOPE_ERR_INSPECT_REQUEST",
      );
    }
  });

  it("is what loopscope dump --recorder reads, given the URL or the pid", async () => {
    const env = cleanEnv();
    const byUrl = await run(
      process.execPath,
      [cliMain, "dump", `${inspected.url}?token=${inspected.token}`, "--recorder"],
      { env },
    );
    assert.equal(byUrl.code, 0, byUrl.stderr);
    assert.match(
      byUrl.stdout,
      new RegExp(`^process ${inspected.pid}: asked over the inspector's protocol\\n`),
    );
    assert.match(byUrl.stdout, /task-end\s+task \d+ "finishing 1": failed/);

    const byPid = await run(
      process.execPath,
      [cliMain, "dump", String(inspected.pid), "--recorder", "--json"],
      { env },
    );
    assert.equal(byPid.code, 0, byPid.stderr);
    const file = JSON.parse(byPid.stdout) as RecorderFile;
    assert.equal(file.pid, inspected.pid);
    assert.ok(file.window!.entries.some((entry) => entry.task?.name === "finishing 0"));
  });
});
