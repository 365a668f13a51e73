import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Frame, LoopBlockedEvent } from "../../src/protocol/index.js";

export const FIXTURE = fileURLToPath(new URL("../fixtures/watchdog/block.js", import.meta.url));
/** Blocks whose capture cannot come promptly (a native call first, a large JSON.parse). */
export const LATE_FIXTURE = fileURLToPath(new URL("../fixtures/watchdog/late.js", import.meta.url));
const BUILT = fileURLToPath(new URL("../../dist/watchdog/index.js", import.meta.url));

export interface FixtureRun {
  readonly code: number | null;
  readonly stderr: string;
  readonly capturesStacks: boolean;
  readonly events: LoopBlockedEvent[];
  /** How long each of the fixture's blocks held the loop, measured by the fixture itself. */
  readonly blocksMs: number[];
}

/** Run a blocking fixture in a child process (the watchdog is per process) and parse its report. */
export function runFixture(
  args: string[],
  nodeArgs: string[] = [],
  fixture: string = FIXTURE,
): Promise<FixtureRun> {
  if (!existsSync(BUILT)) {
    throw new Error(
      `the fixture runs the built package: run \`npm run build\` at the repository root first (${BUILT} is missing)`,
    );
  }
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...nodeArgs, fixture, ...args],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        const line = stdout.trim().split("\n").at(-1) ?? "";
        try {
          const parsed = JSON.parse(line) as {
            capturesStacks: boolean;
            events: LoopBlockedEvent[];
            blocksMs?: number[];
          };
          resolve({ code, stderr, ...parsed, blocksMs: parsed.blocksMs ?? [] });
        } catch {
          reject(
            new Error(
              `fixture ${args.join(" ")} printed no report (exit ${String(code)}):\n${stdout}\n${stderr}`,
            ),
          );
        }
      },
    );
  });
}

/** The 1-based line of the fixture marked `BLOCK:<scenario>` (`LATE:<name>` in the late fixture). */
export function markedLine(scenario: string, fixture: string = FIXTURE): number {
  const marker = fixture === LATE_FIXTURE ? "LATE" : "BLOCK";
  const lines = readFileSync(fixture, "utf8").split("\n");
  const index = lines.findIndex((line) => line.includes(`// ${marker}:${scenario}`));
  if (index < 0) throw new Error(`no ${marker}:${scenario} marker in ${fixture}`);
  return index + 1;
}

/**
 * The events that name application code. A loaded machine that leaves the process off its
 * cores past the threshold adds stalls of its own, reported without a stack or with
 * loopscope's frames only (its first report reads source maps cold): never with an
 * application frame, since outside its blocks the fixture waits idle.
 */
export function applicationBlocks(events: readonly LoopBlockedEvent[]): LoopBlockedEvent[] {
  return events.filter((event) => firstAppFrame(event.stack) !== undefined);
}

/** The innermost frame of application code (not Node's, not V8 built-ins). */
export function firstAppFrame(stack: readonly Frame[]): Frame | undefined {
  return stack.find((frame) => frame.internal !== true && frame.loopscope !== true);
}
