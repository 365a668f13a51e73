/** Types of check-layers.mjs, for the TypeScript tests that run it. */
export const ROOT: ".";

export interface Violation {
  readonly kind: "bypass" | "cycle" | "upward" | "unlisted";
  /** One line for people. */
  readonly message: string;
  /** The importing file, relative to the src dir. */
  readonly file?: string;
  readonly line?: number;
  readonly from?: string;
  readonly to?: string;
  readonly cycle?: readonly string[];
}

export function checkLayers(
  srcDir: string,
  layers: ReadonlyArray<string | ReadonlyArray<string>>,
): Violation[];

export function formatViolation(violation: Violation): string;
