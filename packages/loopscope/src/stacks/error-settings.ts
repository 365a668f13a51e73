/**
 * `Error.stackTraceLimit` and `Error.prepareStackTrace`, set by loopscope only for the
 * length of one capture, and only where they can be set: `--frozen-intrinsics` (or an
 * application that freezes `Error`) makes both read-only, and assigning one then throws
 * in module code. Without them a capture keeps the frames the limit in force allows and
 * is read from the stack's text instead of V8's structured call sites.
 */
import { isAssignable, recordSkip } from "../patches/index.js";

/** Saved at load: an application that replaces the global `Error` does not change captures. */
const NativeError = Error;

let limitSettable = isAssignable(NativeError, "stackTraceLimit");
let prepareSettable = isAssignable(NativeError, "prepareStackTrace");
if (!limitSettable) skipLimit();
if (!prepareSettable) skipPrepare();

function skipLimit(): void {
  recordSkip({
    target: "Error.stackTraceLimit",
    reason: "read-only property",
    effect: `stacks keep at most ${String(NativeError.stackTraceLimit)} frames`,
  });
}

function skipPrepare(): void {
  recordSkip({
    target: "Error.prepareStackTrace",
    reason: "read-only property",
    effect: "stacks are read from their text",
  });
}

/** Set `Error.stackTraceLimit`; `false` (and nothing changed) where it is read-only. */
export function setStackTraceLimit(limit: number): boolean {
  if (!limitSettable) return false;
  try {
    NativeError.stackTraceLimit = limit;
    return true;
  } catch {
    // Frozen since start-up (the application froze `Error`): stop trying.
    limitSettable = false;
    skipLimit();
    return false;
  }
}

type PrepareStackTrace = typeof Error.prepareStackTrace;

/** Set `Error.prepareStackTrace`; `false` (and nothing changed) where it is read-only. */
export function setPrepareStackTrace(prepare: PrepareStackTrace): boolean {
  if (!prepareSettable) return false;
  try {
    NativeError.prepareStackTrace = prepare;
    return true;
  } catch {
    prepareSettable = false;
    skipPrepare();
    return false;
  }
}
