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
