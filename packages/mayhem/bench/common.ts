/**
 * What the benches that compare loopscope's modes on Mayhem share: their
 * arguments, a clean environment for each child, the rotation of variants,
 * and one `mayhem bench` run in a fresh process of the built CLI.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export { environmentWithoutLoopscope } from "../../../scripts/child-env.mjs";
export { median, round } from "../src/bench/index.js";

/** This package's folder, where `loopscope` resolves to the workspace package. */
export const mayhemDir = fileURLToPath(new URL("../", import.meta.url));
/** The built CLI: the benches measure what users run. */
export const mayhemCli = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

/** Throws unless the packages are built (the benches run `dist`, not the sources). */
export function requireBuild(): void {
  if (!existsSync(mayhemCli)) {
    throw new Error(`${mayhemCli} is missing: run \`npm run build\` at the repository root`);
  }
}

/** `--name`'s value: an integer >= 1; a bad value is an error naming the flag and the value. */
export function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`--${name} must be an integer >= 1, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * The variants in round `round`'s order: rotated each round, so no variant
 * always runs first, or always right after the same neighbour.
 */
export function rotated<T>(variants: readonly T[], round: number): T[] {
  return variants.map((_, i) => variants[(i + round) % variants.length]!);
}

/** What the benches read of `mayhem bench`'s JSON line. */
export interface MayhemBenchLine {
  readonly msgs_per_s: number;
  readonly msgs_per_cpu_s: number;
  readonly peak_rss_mb: number;
}

/**
 * One `mayhem bench --messages <messages>` in a fresh process, with `nodeArgs`
 * before the script (a preload) and `env`; resolves with its JSON line.
 */
export function runMayhemBench(
  nodeArgs: readonly string[],
  messages: number,
  env: NodeJS.ProcessEnv,
): Promise<MayhemBenchLine> {
  const args = [...nodeArgs, mayhemCli, "bench", "--messages", String(messages)];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: mayhemDir, env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(
            new Error(`mayhem bench ${nodeArgs.join(" ")} failed:\n${stderr}`, { cause: error }),
          );
          return;
        }
        const last = stdout.trim().split("\n").at(-1) ?? "";
        resolve(JSON.parse(last) as MayhemBenchLine);
      },
    );
  });
}
