// A real terminal for `loopscope top`'s tests: a tmux server of the test's own (its own
// socket, so a user's tmux is never touched) running one command in a pane of a given
// size. The test reads the pane as the user would see it (capture-pane), sends keys,
// resizes the window, and records every byte the program writes (pipe-pane).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
/**
 * Why the terminal tests are skipped: only when `LOOPSCOPE_TERMINAL_TESTS=0` says so. A
 * machine without tmux fails them, saying how to install it (as the browser tests do
 * without Chromium): a missing tool must not pass for a passing test.
 */
export function terminalTestsSkipped() {
  return process.env.LOOPSCOPE_TERMINAL_TESTS === "0"
    ? "LOOPSCOPE_TERMINAL_TESTS=0: terminal tests turned off"
    : undefined;
}

function assertTmux() {
  if (spawnSync("tmux", ["-V"], { encoding: "utf8" }).status !== 0) {
    throw new Error(
      "the terminal tests need tmux: install it (apt-get install tmux), or set LOOPSCOPE_TERMINAL_TESTS=0 to skip them",
    );
  }
}

export class Tmux {
  #socket;
  #dir;
  #output;
  #target = "top:0.0";
  /**
   * Run `command` (argv) in a `width`×`height` pane with `env`. After the command ends,
   * the pane's shell prints `exited <code>` and the terminal's modes, then waits.
   */
  constructor(command, options) {
    assertTmux();
    this.#dir = mkdtempSync(join(tmpdir(), "loopscope-tmux-"));
    this.#socket = join(this.#dir, "socket");
    this.#output = join(this.#dir, "output");
    const script = join(this.#dir, "run.sh");
    writeFileSync(
      script,
      [
        "#!/bin/sh",
        `${command.map(quote).join(" ")}`,
        "code=$?",
        'printf "\\nexited %s\\n" "$code"',
        'stty -a | tr "\\n" " " > ' + quote(join(this.#dir, "stty")),
        `echo "$code" > ${quote(join(this.#dir, "code"))}`,
        "exec sleep 3600",
        "",
      ].join("\n"),
      { mode: 0o700 },
    );
    this.#tmux(
      [
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "top",
        "-x",
        String(options.width),
        "-y",
        String(options.height),
        script,
      ],
      options.env,
    );
    // The pane's size is the one asked for, not a client's: there is none.
    this.#tmux(["set-option", "-g", "window-size", "manual"]);
    this.#tmux(["pipe-pane", "-o", "-t", this.#target, `cat >> ${quote(this.#output)}`]);
  }
  /** The pane's text, line by line, as shown now. */
  screen() {
    return this.#tmux(["capture-pane", "-p", "-t", this.#target]).split("\n");
  }
  /** Wait until the pane shows `pattern`; fails with the pane's text after `timeoutMs`. */
  async waitFor(pattern, timeoutMs = 15_000) {
    return this.waitUntil((lines) => pattern.test(lines.join("\n")), String(pattern), timeoutMs);
  }
  /** Wait until `shows` holds for the pane's lines; fails with them after `timeoutMs`. */
  async waitUntil(shows, what, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.screen();
      if (shows(lines)) return lines;
      if (Date.now() > deadline) {
        throw new Error(
          `the pane did not show ${what} within ${timeoutMs} ms:\n${lines.join("\n")}`,
        );
      }
      await sleep(100);
    }
  }
  /** Send keys as tmux names them (`Enter`, `Escape`, `C-c`, `Down`), one at a time. */
  async keys(...keys) {
    for (const key of keys) {
      this.#tmux(["send-keys", "-t", this.#target, key]);
      // Escape then a letter, sent together, reads as Alt and the letter.
      await sleep(60);
    }
  }
  /** Type `text` literally. */
  type(text) {
    this.#tmux(["send-keys", "-t", this.#target, "-l", text]);
  }
  resize(width, height) {
    this.#tmux(["resize-window", "-t", "top", "-x", String(width), "-y", String(height)]);
  }
  /** Every byte the program wrote to the terminal so far. */
  output() {
    try {
      return readFileSync(this.#output, "latin1");
    } catch {
      return "";
    }
  }
  /** Wait for the command to end, and read the terminal's state after it. */
  async ended(timeoutMs = 15_000) {
    await this.waitFor(/exited \d+/, timeoutMs);
    const deadline = Date.now() + 5_000;
    let code;
    while (code === undefined && Date.now() < deadline) {
      try {
        code = readFileSync(join(this.#dir, "code"), "utf8").trim();
      } catch {
        await sleep(50);
      }
    }
    const [cursor, alternate] = this.#tmux([
      "display-message",
      "-p",
      "-t",
      this.#target,
      "#{cursor_flag} #{alternate_on}",
    ])
      .trim()
      .split(" ");
    return {
      code: Number(code),
      stty: readFileSync(join(this.#dir, "stty"), "utf8"),
      cursorShown: cursor === "1",
      alternateScreen: alternate === "1",
    };
  }
  close() {
    spawnSync("tmux", ["-S", this.#socket, "kill-server"], { stdio: "ignore" });
    rmSync(this.#dir, { recursive: true, force: true });
  }
  #tmux(args, env) {
    return execFileSync("tmux", ["-S", this.#socket, ...args], {
      encoding: "utf8",
      ...(env === undefined ? {} : { env }),
    });
  }
}
function quote(arg) {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
