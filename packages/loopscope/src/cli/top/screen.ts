/**
 * The terminal under `loopscope top`, through terminal-kit: the alternate screen, raw
 * keys, resizes, and a screen buffer drawn by difference, so that after the first frame
 * only the cells that changed are written (no clear, no flicker). Everything it turns on
 * is turned off by {@link Screen.close}, which is safe to call twice.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { ScreenBuffer, Terminal } from "terminal-kit";
import type * as TerminalKit from "terminal-kit";
import type { Line, Tone } from "./view.js";

/**
 * terminal-kit as the build bundled it into dist/vendor/ (the published package has no
 * dependency on it); in a checkout run from src/, the development dependency.
 */
function loadTerminalKit(): typeof TerminalKit {
  const require = createRequire(import.meta.url);
  const bundled = fileURLToPath(new URL("../../vendor/terminal-kit.cjs", import.meta.url));
  return require(existsSync(bundled) ? bundled : "terminal-kit") as typeof TerminalKit;
}

const TONES: Record<Tone, ScreenBuffer.Attributes> = {
  plain: {},
  dim: { dim: true },
  bold: { bold: true },
  header: { bold: true, underline: false, inverse: false, color: "cyan" },
  selected: { inverse: true },
  alert: { bold: true, color: "white", bgColor: "red" },
  warn: { color: "black", bgColor: "yellow" },
  good: { color: "green" },
};

export interface ScreenEvents {
  key(name: string): void;
  resize(width: number, height: number): void;
}

export class Screen {
  readonly #term: Terminal;
  readonly #kit: typeof TerminalKit;
  #buffer: ScreenBuffer;
  #open = true;
  #firstFrame = true;

  constructor(events: ScreenEvents) {
    this.#kit = loadTerminalKit();
    this.#term = this.#kit.terminal;
    this.#term.fullscreen(true);
    this.#term.hideCursor(true);
    this.#term.grabInput(true);
    this.#buffer = this.#newBuffer();
    this.#term.on("key", (name: string) => events.key(name));
    this.#term.on("resize", (width: number, height: number) => {
      if (!this.#open) return;
      this.#buffer = this.#newBuffer();
      // A new size moves every line: the next frame is drawn whole, once.
      this.#firstFrame = true;
      events.resize(width, height);
    });
  }

  get width(): number {
    return this.#term.width;
  }

  get height(): number {
    return this.#term.height;
  }

  /** Draw `lines`, writing only the cells that differ from the frame before. */
  paint(lines: readonly Line[]): void {
    if (!this.#open) return;
    const buffer = this.#buffer;
    buffer.fill({ attr: TONES.plain, char: " " });
    lines.forEach((line, y) => {
      let x = 0;
      for (const segment of line) {
        if (segment.text === "") continue;
        buffer.put({ x, y, attr: TONES[segment.tone], wrap: false, dx: 1, dy: 0 }, segment.text);
        x += [...segment.text].length;
      }
    });
    buffer.draw({ delta: !this.#firstFrame });
    this.#firstFrame = false;
  }

  /** Give the terminal back as it was: main screen, cursor shown, keys cooked. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#term.grabInput(false);
    this.#term.styleReset();
    this.#term.hideCursor(false);
    this.#term.fullscreen(false);
  }

  #newBuffer(): ScreenBuffer {
    return new this.#kit.ScreenBuffer({
      dst: this.#term,
      width: this.#term.width,
      height: this.#term.height,
    });
  }
}
