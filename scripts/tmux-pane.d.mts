/** Types of tmux-pane.mjs, for the TypeScript tests that use it. */
export function terminalTestsSkipped(): string | undefined;

/** What the pane says about the terminal once the command has ended. */
export interface TerminalState {
  /** The command's exit code, printed by the pane's shell. */
  readonly code: number;
  /** `stty -a` in the pane after the command: cooked mode reads `icanon`, raw `-icanon`. */
  readonly stty: string;
  /** tmux's `cursor_flag`: whether the cursor is shown. */
  readonly cursorShown: boolean;
  /** tmux's `alternate_on`: whether the pane is still on the alternate screen. */
  readonly alternateScreen: boolean;
}

export class Tmux {
  constructor(
    command: readonly string[],
    options: { width: number; height: number; env: NodeJS.ProcessEnv },
  );
  screen(): string[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string[]>;
  waitUntil(
    shows: (lines: readonly string[]) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<string[]>;
  keys(...keys: string[]): Promise<void>;
  type(text: string): void;
  resize(width: number, height: number): void;
  output(): string;
  ended(timeoutMs?: number): Promise<TerminalState>;
  close(): void;
}
