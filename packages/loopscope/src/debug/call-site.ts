/**
 * Who called a blocking function: the first application frame (the line a report names
 * and the key it is rate-limited by), and whether the call happens while a module is
 * being loaded (start-up). Read from V8's structured call sites, not from a formatted
 * stack: formatting and source mapping cost far more and happen only when reporting.
 */
import { isInternalFile, isLoopscopeFile, parseStack } from "../report/index.js";
import type { Frame } from "../report/index.js";

/** The subset of V8's call-site API used here. */
export interface V8CallSite {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  isAsync?(): boolean;
  toString(): string;
}

/** Deep enough to see a module loader frame below a few helper calls, short enough to stay cheap. */
const CAPTURE_LIMIT = 32;

export interface CallerInfo {
  /** `file:line:col` of the first application frame; `undefined` when there is none. */
  readonly key: string | undefined;
  /** The first application frame is loopscope's own code. */
  readonly ownCall: boolean;
  /** A module's top-level code (ESM evaluation, `require`, `import()`) is on the stack. */
  readonly duringModuleLoad: boolean;
  /** The sites, kept to build the report's frames if it is reported. */
  readonly sites: readonly V8CallSite[];
}

const NO_SITES: readonly V8CallSite[] = [];

function structured(_error: Error, sites: V8CallSite[]): V8CallSite[] {
  return sites;
}

/**
 * Inspect the stack below `skipAbove` (exclusive). Never throws; with an unusual stack
 * (no frames) it says nothing is known.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- same contract as Error.captureStackTrace
export function inspectCaller(skipAbove: Function): CallerInfo {
  const sites = captureSites(skipAbove);
  let key: string | undefined;
  let ownCall = false;
  let duringModuleLoad = false;
  for (const site of sites) {
    const file = site.getFileName() ?? "";
    // Only synchronous frames: an `async ModuleJob.run` frame below a top-level await
    // would otherwise make the whole program "start-up".
    if (file.startsWith("node:internal/modules/") && site.isAsync?.() !== true) {
      duringModuleLoad = true;
      break;
    }
    if (key === undefined && file !== "" && !isInternalFile(file)) {
      ownCall = isLoopscopeFile(stripFileUrl(file));
      key = `${file}:${site.getLineNumber() ?? 0}:${site.getColumnNumber() ?? 0}`;
    }
  }
  return { key, ownCall, duringModuleLoad, sites };
}

/** Structured, source-mapped frames of captured sites, innermost first. */
export function framesOfSites(sites: readonly V8CallSite[]): readonly Frame[] {
  try {
    return parseStack(sites.map((site) => `    at ${site.toString()}`).join("\n"));
  } catch {
    return [];
  }
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- see inspectCaller
function captureSites(skipAbove: Function): readonly V8CallSite[] {
  const holder: { stack?: unknown } = {};
  // eslint-disable-next-line @typescript-eslint/unbound-method -- saved to be put back, never called
  const previousPrepare = Error.prepareStackTrace;
  const previousLimit = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = structured as typeof Error.prepareStackTrace;
    Error.stackTraceLimit = CAPTURE_LIMIT;
    Error.captureStackTrace(holder, skipAbove);
    // `stack` is formatted on first read, with the prepareStackTrace in place now.
    const value = holder.stack;
    return Array.isArray(value) ? (value as V8CallSite[]) : NO_SITES;
  } catch {
    return NO_SITES;
  } finally {
    Error.prepareStackTrace = previousPrepare;
    Error.stackTraceLimit = previousLimit;
  }
}

function stripFileUrl(file: string): string {
  if (!file.startsWith("file://")) return file;
  try {
    return decodeURIComponent(new URL(file).pathname);
  } catch {
    return file;
  }
}
