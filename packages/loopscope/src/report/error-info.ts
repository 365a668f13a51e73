import type { ErrorInfo } from "./types.js";
import { parseStack } from "./frames.js";

/**
 * Describe any thrown value as plain data: name, message and the error's own stack,
 * source-mapped. Works for non-Error values (`throw "x"`) and for errors whose
 * getters throw. Never throws.
 */
export function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof Error || isErrorLike(err)) {
    const name = safeString(() => (err as Error).name) ?? "Error";
    const message = safeString(() => (err as Error).message) ?? "";
    const stack = safeString(() => (err as Error).stack);
    return { name, message, stack: stack === undefined ? [] : parseStack(stack) };
  }
  return { name: typeLabel(err), message: safeString(() => String(err)) ?? "", stack: [] };
}

function isErrorLike(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  try {
    return "message" in value && "stack" in value;
  } catch {
    return false;
  }
}

function safeString(read: () => unknown): string | undefined {
  try {
    const value = read();
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** What was thrown when it was not an Error: `string`, `number`, `null`, `Object`... */
function typeLabel(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  try {
    const ctor = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof ctor === "string" && ctor !== "" ? ctor : "Object";
  } catch {
    return "Object";
  }
}
