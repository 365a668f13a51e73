/**
 * `loopscope top <pid>` on the built Mayhem service (`mayhem run`, the embedded broker,
 * loopscope on), in a real terminal (tmux, scripts/tmux-pane.mjs): its `handle <instance>`
 * tasks show live, the filter keeps them, and the service goes on and still shuts down
 * cleanly after top quits.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Tmux, terminalTestsSkipped } from "../../../../scripts/tmux-pane.mjs";
import { childEnv } from "../helpers/child-env.js";
import type { InspectedMayhem } from "../helpers/inspected-mayhem.js";
import { startInspectedMayhem } from "../helpers/inspected-mayhem.js";

const LOOPSCOPE_CLI = join(
  createRequire(import.meta.url).resolve("loopscope/package.json"),
  "..",
  "dist",
  "cli",
  "main.js",
);

describe(
  "loopscope top on Mayhem",
  { skip: terminalTestsSkipped() ?? false, timeout: 60_000 },
  () => {
    let mayhem: InspectedMayhem;
    before(async () => {
      mayhem = await startInspectedMayhem();
    });
    after(() => {
      const child = mayhem?.child;
      if (child?.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });

    it("shows Mayhem's live tasks by its pid, and the filter keeps the handle tasks", async () => {
      const pane = new Tmux([process.execPath, LOOPSCOPE_CLI, "top", String(mayhem.child.pid)], {
        width: 150,
        height: 30,
        env: childEnv(),
      });
      try {
        const screen = await pane.waitFor(/handle cattle-[0-9a-z]+/);
        assert.match(screen[0]!, new RegExp(`loopscope top · pid ${mayhem.child.pid} · node v`));
        // Each handle task has its extend and cleanup children.
        await pane.waitFor(/(extend|cleanup) cattle-/);
        await pane.keys("/");
        pane.type("handle ");
        await pane.waitFor(/filter: handle /);
        await pane.keys("Enter");
        const filtered = await pane.waitUntil(
          (lines) =>
            lines.some((line) => / matching · name ~ "handle "/.test(line)) &&
            lines.some((line) => /handle cattle-/.test(line)),
          "the filtered table",
        );
        const rows = filtered.filter((line) => /^\s*\d+ .* (pending|running) /.test(line));
        assert.ok(rows.length > 0);
        assert.ok(
          rows.every((line) => / handle cattle-/.test(line)),
          `only handle tasks:\n${filtered.join("\n")}`,
        );
        await pane.keys("q");
        assert.equal((await pane.ended()).code, 0);
      } finally {
        pane.close();
      }
      // Mayhem went on, and still shuts down cleanly.
      assert.equal(mayhem.child.exitCode, null);
      mayhem.child.kill("SIGTERM");
      const { code } = await mayhem.exited;
      assert.equal(code, 0, mayhem.stderr());
    });
  },
);
