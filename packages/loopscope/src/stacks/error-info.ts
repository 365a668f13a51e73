import type { ErrorInfo } from "../protocol/index.js";
import { parseStack } from "./frames.js";
import { nodeMapsStackText } from "./source-maps.js";

/**
 * Describe any thrown value as plain data: name, message and the error's own stack,
 * source-mapped. Works for non-Error values (`throw "x"`) and for errors whose
 * getters throw. Never throws.
 *
 * The stack is the error's `stack` text. With Node's source maps on (tsx,
 * `--enable-source-maps`) Node has already mapped it when formatting it; it is not
 * mapped through Node's maps a second time.
 */
export function errorInfo(err: unknown): ErrorInfo {
  if (err instanceof Error || isErrorLike(err)) {
    const name = safeString(() => (err as Error).name) ?? "Error";
    const message = safeString(() => (err as Error).message) ?? "";
    // Asked before the read: a first read formats the text with the settings of now.
    const nodeMapped = nodeMapsStackText();
    const stack = safeString(() => (err as Error).stack);
    return { name, message, stack: stack === undefined ? [] : parseStack(stack, { nodeMapped }) };
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
