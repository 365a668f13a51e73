/**
 * `loopscope top` in a real terminal (tmux): the built command against a real process
 * under the preload (test/fixtures/inspector/app.js), read as the user sees the pane.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Running } from "../fixtures/child-process.js";
import { assertBuilt, cleanEnv, cliMain, fixture, run, start } from "../fixtures/child-process.js";
import { Tmux, terminalTestsSkipped } from "../../../../scripts/tmux-pane.mjs";

const skip = terminalTestsSkipped() ?? false;

interface App {
  readonly running: Running;
  readonly pid: string;
  command(line: string): Promise<void>;
}

/** The inspector fixture under the preload, its inspector off (top opens it) unless `env` says. */
async function startApp(env: NodeJS.ProcessEnv = {}): Promise<App> {
  const running = start(
    process.execPath,
    ["--import", "loopscope/register", fixture("inspector/app.js")],
    {
      env: cleanEnv(env),
    },
  );
  const [, pid] = await running.waitForStdout(/ready (\d+)\n/);
  return {
    running,
    pid: pid!,
    async command(line) {
      const name = line.split(" ")[0]!;
      const seen = running.stdout().split(`ok ${name}\n`).length - 1;
      running.child.stdin?.write(`${line}\n`);
      await running.waitForStdout(new RegExp(`(?:[\\s\\S]*?ok ${name}\\n){${seen + 1}}`));
    },
  };
}

function top(target: string, size = { width: 140, height: 32 }, env: NodeJS.ProcessEnv = {}): Tmux {
  return new Tmux([process.execPath, cliMain, "top", target], { ...size, env: cleanEnv(env) });
}

/** The rows of the task table that show `text`, in the order shown. */
function rowsWith(screen: readonly string[], text: string): string[] {
  return screen.filter((line) => /^\s*\d+ .* (pending|running) /.test(line) && line.includes(text));
}

describe("loopscope top", { skip }, () => {
  before(assertBuilt);
  let app: App;
  before(async () => {
    app = await startApp({ LOOPSCOPE_INSPECT_CONTROL: "1" });
    await app.command("spawn 2 aardvark");
  });
  after(async () => {
    app.running.child.kill("SIGTERM");
    await app.running.finished;
  });

  it("opens the inspector of a process by pid and shows its tasks; sorting, filtering and grouping change the table", async () => {
    const pane = top(app.pid);
    try {
      let screen = await pane.waitFor(/handle cattle 0[\s\S]*aardvark 1/);
      assert.match(screen[0]!, new RegExp(`loopscope top · pid ${app.pid} · node v`));
      assert.match(screen.join("\n"), /AGE▼/);
      // Oldest first: the three spawned at start, then the two spawned after.
      const byAge = rowsWith(screen, "pending");
      assert.ok(
        byAge.findIndex((row) => row.includes("handle cattle")) <
          byAge.findIndex((row) => row.includes("aardvark")),
        screen.join("\n"),
      );

      // Column 2 is the name: aardvark before handle cattle.
      await pane.keys("2");
      screen = await pane.waitFor(/NAME▲/);
      const byName = rowsWith(screen, "pending");
      assert.ok(byName[0]!.includes("aardvark 0"), screen.join("\n"));
      // Again: reversed.
      await pane.keys("2");
      screen = await pane.waitFor(/NAME▼/);
      assert.ok(rowsWith(screen, "pending")[0]!.includes("handle cattle 2"), screen.join("\n"));

      // Typed filter: only what matches, and the footer says so.
      await pane.keys("/");
      pane.type("aard");
      screen = await pane.waitFor(/filter: aard/);
      await pane.keys("Enter");
      screen = await pane.waitFor(/2 of 2 matching · name ~ "aard"/);
      assert.deepEqual(rowsWith(screen, "handle cattle"), []);
      assert.equal(rowsWith(screen, "aardvark").length, 2);
      await pane.keys("Escape");
      screen = await pane.waitFor(/5 of 5 matching/);

      // Grouped by creation site: one row per site, with its count.
      await pane.keys("g");
      screen = await pane.waitFor(/CREATED AT[\s\S]*1 group of 5 tasks/);
      assert.match(screen.join("\n"), /^\s+5\s+\S+.*app\.js:\d+/m);
      await pane.keys("g", "g");
      await pane.waitFor(/AGE▼|NAME/);
    } finally {
      pane.close();
    }
  });

  it("shows a task's detail: where it waits, where it was created, its children", async () => {
    const pane = top(app.pid);
    try {
      await pane.waitFor(/handle cattle 0/);
      await pane.keys("Enter");
      const screen = await pane.waitFor(/created at/);
      const text = screen.join("\n");
      assert.match(text, /task \d+ "handle cattle 0"/);
      assert.match(text, /awaiting /);
      assert.match(text, /children: 0/);
      assert.match(text, /app\.js:\d+/);
      await pane.keys("Escape");
      await pane.waitFor(/AGE▼/);
    } finally {
      pane.close();
    }
  });

  it("cancels the selected task when the process allows control", async () => {
    await app.command("spawn 1 victim");
    const pane = top(app.pid);
    try {
      await pane.waitFor(/victim 0/);
      await pane.keys("/");
      pane.type("victim");
      await pane.waitFor(/filter: victim/);
      await pane.keys("Enter");
      await pane.waitFor(/1 of 1 matching/);
      await pane.keys("c");
      await pane.waitFor(/cancel task \d+ "victim 0"\? y \/ n/);
      await pane.keys("y");
      await pane.waitFor(/cancel requested/);
      await pane.waitFor(/no pending task matches/);
    } finally {
      pane.close();
    }
  });

  it("adapts to a resize, and redraws only what changed after the first frame", async () => {
    const pane = top(app.pid, { width: 140, height: 32 });
    try {
      await pane.waitFor(/handle cattle 0/);
      // The first frame writes every cell; later ones only the cells that changed (the
      // uptime, the sparkline, the ages), never a clear: a few live updates, each second,
      // write much less than the first frame did.
      await pane.waitFor(/p99 /);
      const firstFrame = pane.output().length;
      assert.ok(firstFrame >= 140 * 32, `the first frame wrote ${firstFrame} bytes`);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const updates = pane.output().slice(firstFrame);
      assert.ok(updates.length > 0, "no update drawn in 2.5 s");
      assert.ok(!updates.includes("\x1b[2J"), "an update cleared the whole screen");
      assert.ok(
        updates.length < firstFrame / 2,
        `2.5 s of updates wrote ${updates.length} bytes, the first frame ${firstFrame}`,
      );

      // The footer moves to the new last line, and nothing is wider than the pane.
      const footerOn = (row: number) => (lines: readonly string[]) =>
        /matching/.test(lines[row] ?? "") && /handle cattle 0/.test(lines.join("\n"));
      pane.resize(90, 16);
      let screen = await pane.waitUntil(footerOn(15), "the footer on line 16");
      assert.ok(
        screen.every((line) => [...line].length <= 90),
        screen.join("\n"),
      );
      pane.resize(160, 40);
      screen = await pane.waitUntil(footerOn(39), "the footer on line 40");
      assert.ok(
        screen.some((line) => [...line].length > 140),
        "the table uses the new width",
      );
    } finally {
      pane.close();
    }
  });

  for (const [name, key] of [
    ["q", "q"],
    ["Ctrl-C", "C-c"],
  ] as const) {
    it(`gives the terminal back on ${name}: cooked mode, cursor shown, main screen`, async () => {
      const pane = top(app.pid);
      try {
        await pane.waitFor(/handle cattle 0/);
        await pane.keys(key);
        const state = await pane.ended();
        assert.equal(state.code, 0);
        assert.match(state.stty, /(^|\s)icanon(\s|$)/, state.stty);
        assert.match(state.stty, /(^|\s)echo(\s|$)/, state.stty);
        assert.equal(state.cursorShown, true);
        assert.equal(state.alternateScreen, false);
      } finally {
        pane.close();
      }
    });
  }

  it("shows the blocked-now banner while the loop is blocked, then the block's cause and what the flight recorder saw before it", async () => {
    const pane = top(app.pid);
    try {
      await pane.waitFor(/handle cattle 0/);
      // Tasks that start and end just before the block: the flight recorder keeps them.
      await app.command("finish 3");
      await app.command("block 4000");
      const screen = await pane.waitFor(/LOOP BLOCKED for/);
      assert.match(screen.join("\n"), /holdTheLoop/);
      // Once the loop turns, the block is reported and listed, with its cause: a busy loop
      // is JavaScript.
      await pane.waitFor(/last block \S+ ms js at holdTheLoop/, 20_000);
      await pane.keys("b");
      await pane.waitFor(
        /latest blocks, newest first\n.*blocked \S+ ms · js[^\n]*\n\s+at holdTheLoop/,
      );
      // The flight recorder: the block's own window, or (when its report carries none) the
      // process's last seconds, asked for; the fixture's tasks either way.
      await pane.keys("f");
      await pane.waitFor(
        /flight recorder · [\s\S]*-\d+\.\d\d s\s+task-start\s+task \d+ "finishing 0"[\s\S]*Esc back · l live\/last block/,
      );
      await pane.keys("Escape");
      await pane.waitFor(/AGE▼/);
    } finally {
      pane.close();
    }
  });
});

describe("loopscope top, when things go wrong", { skip }, () => {
  before(assertBuilt);

  it("says so when the process goes away, and still quits cleanly", async () => {
    const app = await startApp();
    const pane = top(app.pid);
    try {
      await pane.waitFor(/handle cattle 0/);
      app.running.child.kill("SIGKILL");
      await app.running.finished;
      await pane.waitFor(new RegExp(`process ${app.pid} has ended`));
      await pane.keys("q");
      const state = await pane.ended();
      assert.equal(state.code, 0);
      assert.equal(state.cursorShown, true);
    } finally {
      pane.close();
    }
  });

  it("refuses a process that speaks another protocol version, before drawing", async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ protocol: 999, type: "status" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const pane = top(`http://127.0.0.1:${port}/?token=secret`);
    try {
      const state = await pane.ended();
      assert.equal(state.code, 7);
      assert.match(pane.screen().join("\n"), /protocol 999; this loopscope reads protocol 1/);
      assert.equal(state.alternateScreen, false);
    } finally {
      pane.close();
      server.close();
    }
  });

  it("needs a terminal, a token and a live process", async () => {
    const piped = await run(process.execPath, [cliMain, "top", "1"], { env: cleanEnv() });
    assert.equal(piped.code, 1);
    assert.match(piped.stderr, /top draws in a terminal/);

    const noToken = top("http://127.0.0.1:9/");
    try {
      assert.equal((await noToken.ended()).code, 1);
      assert.match(noToken.screen().join("\n"), /carries no token/);
    } finally {
      noToken.close();
    }
    const nobody = top("999999999");
    try {
      assert.equal((await nobody.ended()).code, 2);
      assert.match(nobody.screen().join("\n"), /no process with pid 999999999/);
    } finally {
      nobody.close();
    }
  });
});
