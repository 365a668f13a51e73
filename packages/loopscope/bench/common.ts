/** Helpers the benches share: arguments, a clean child environment, medians. */

/**
 * `--name N` from the command line: a positive integer, or `fallback` when absent. A bad
 * value is an error naming the flag and the value, not a silent fallback.
 */
export function positiveIntegerArgument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(
      `--${name} must be a positive integer, received ${String(process.argv[index + 1])}`,
    );
  }
  return value;
}

/** This process's environment without LOOPSCOPE_* and NODE_OPTIONS: a child's clean slate. */
export function environmentWithoutLoopscope(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("LOOPSCOPE_") && key !== "NODE_OPTIONS") env[key] = value;
  }
  return env;
}

/** The median; for an even count, the mean of the middle two. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
