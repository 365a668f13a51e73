/**
 * Who called a blocking function: the first application frame (the line a report names
 * and the key it is rate-limited by), and whether the call happens while a module is
 * being loaded (start-up). Read from V8's structured call sites, not from a formatted
 * stack: formatting and source mapping cost far more and happen only when reporting.
 */
import {
  isInternalFile,
  isLoopscopeFile,
  nodeMapsStackText,
  parseStack,
  setPrepareStackTrace,
  setStackTraceLimit,
} from "../stacks/index.js";
import type { Frame } from "../protocol/index.js";

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
    if (key === undefined && file !== "" && !isInternalFile(file) && !isPassThroughWrapper(file)) {
      ownCall = isLoopscopeFile(stripFileUrl(file));
      key = `${file}:${site.getLineNumber() ?? 0}:${site.getColumnNumber() ?? 0}`;
    }
  }
  return { key, ownCall, duringModuleLoad, sites };
}

/**
 * Sites read back from a stack text that Node formatted with its own source maps on
 * (frozen intrinsics under tsx): their positions are mapped already.
 */
const nodeMappedSites = new WeakSet<readonly V8CallSite[]>();

/** Structured, source-mapped frames of captured sites, innermost first. */
export function framesOfSites(sites: readonly V8CallSite[]): readonly Frame[] {
  try {
    const text = sites.map((site) => `    at ${site.toString()}`).join("\n");
    return parseStack(text, { nodeMapped: nodeMappedSites.has(sites) });
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
  // Either may be read-only (frozen intrinsics): then the stack is read from its text.
  const structuredOn = setPrepareStackTrace(structured as typeof Error.prepareStackTrace);
  const limited = setStackTraceLimit(CAPTURE_LIMIT);
  // Asked before the first read of `stack`, which formats it with the settings of now.
  const nodeMapped = !structuredOn && nodeMapsStackText();
  try {
    Error.captureStackTrace(holder, skipAbove);
    // `stack` is formatted on first read, with the prepareStackTrace in place now.
    const value = holder.stack;
    if (Array.isArray(value)) return value as V8CallSite[];
    if (typeof value !== "string") return NO_SITES;
    const sites = sitesOfText(value);
    if (nodeMapped) nodeMappedSites.add(sites);
    return sites;
  } catch {
    return NO_SITES;
  } finally {
    if (structuredOn) setPrepareStackTrace(previousPrepare);
    if (limited) setStackTraceLimit(previousLimit);
  }
}

/** Call sites read back from a formatted stack, where V8's structured ones cannot be had. */
function sitesOfText(stack: string): readonly V8CallSite[] {
  const sites: V8CallSite[] = [];
  for (const line of stack.split("\n")) {
    const match = /^\s*at (async )?(.*)$/.exec(line);
    if (match?.[2] === undefined) continue;
    const isAsync = match[1] !== undefined;
    const text = match[2];
    const location = /\(([^()]*)\)$/.exec(text)?.[1] ?? text;
    const position = /^(.*):(\d+):(\d+)$/.exec(location);
    const file = position?.[1] ?? null;
    const lineNumber = position === null ? null : Number(position[2]);
    const columnNumber = position === null ? null : Number(position[3]);
    sites.push({
      getFileName: () => file,
      getLineNumber: () => lineNumber,
      getColumnNumber: () => columnNumber,
      isAsync: () => isAsync,
      toString: () => text,
    });
  }
  return sites;
}

/**
 * The watchdog's native-call wrapper (`watchdog/native-calls.ts`) calls the original
 * through to the application's call: a frame of it under debug mode's own wrapper is not
 * loopscope calling, so the caller is looked for below it.
 */
function isPassThroughWrapper(file: string): boolean {
  return /[\\/]watchdog[\\/]native-calls\.[jt]s$/.test(file) && isLoopscopeFile(stripFileUrl(file));
}

function stripFileUrl(file: string): string {
  if (!file.startsWith("file://")) return file;
  try {
    return decodeURIComponent(new URL(file).pathname);
  } catch {
    return file;
  }
}
