/** Helpers the benches share: arguments, a clean child environment, medians. */
export { environmentWithoutLoopscope } from "../../../scripts/child-env.mjs";

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

/** The median; for an even count, the mean of the middle two. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
