import { dirname, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Frame } from "./types.js";
import { mapPosition } from "./source-maps.js";

/**
 * A stack captured but not yet formatted. Capturing costs a few microseconds;
 * formatting and source mapping happen later, in {@link resolveStack}, and only
 * for the stacks someone looks at. Holds the frames' receivers alive until resolved.
 */
export interface RawStack {
  /** Brand: build one with {@link captureStack}. */
  readonly __rawStack: true;
}

/** The holder V8 writes `stack` into. `frames` replaces it once resolved. */
interface RawStackHolder extends RawStack {
  stack?: unknown;
  frames?: readonly Frame[];
}

/** Default frame count: enough to reach application code through a few internal frames. */
const DEFAULT_LIMIT = 16;

/**
 * Capture the current stack without formatting it.
 *
 * @param skipAbove - frames above (and including) this function are left out, as with
 *   `Error.captureStackTrace`; defaults to `captureStack` itself.
 * @param limit - at most this many frames (default 16). `Error.stackTraceLimit` is
 *   changed only for the duration of the capture.
 * @example
 * ```ts
 * const raw = captureStack();          // cheap, in the hot path
 * const frames = resolveStack(raw);    // later, when a report needs it
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- same contract as Error.captureStackTrace
export function captureStack(skipAbove?: Function, limit: number = DEFAULT_LIMIT): RawStack {
  const holder = { __rawStack: true } as RawStackHolder;
  const previous = Error.stackTraceLimit;
  Error.stackTraceLimit = limit;
  try {
    Error.captureStackTrace(holder, skipAbove ?? captureStack);
  } finally {
    Error.stackTraceLimit = previous;
  }
  return holder;
}

/**
 * Turn a captured stack into frames, innermost first: source-mapped to the original
 * (.ts) positions, with Node's own and loopscope's own frames marked. Resolving the
 * same stack twice returns the same frames. Never throws.
 */
export function resolveStack(raw: RawStack): readonly Frame[] {
  const holder = raw as RawStackHolder;
  if (holder.frames !== undefined) return holder.frames;
  let frames: readonly Frame[] = [];
  try {
    const value = readCallSites(holder);
    if (Array.isArray(value)) frames = value.map((site) => frameFromCallSite(site as CallSite));
    else if (typeof value === "string") frames = parseStack(value);
  } catch {
    frames = [];
  }
  holder.frames = frames;
  // Drop the call sites: they keep every frame's receiver alive.
  holder.stack = undefined;
  return frames;
}

/**
 * Parse a V8 stack string (`Error.stack`, or a stack an inspector session returned)
 * into frames, source-mapped and marked like {@link resolveStack}. Lines that are not
 * frames (the error message) are skipped. Never throws.
 */
export function parseStack(stack: string): Frame[] {
  const frames: Frame[] = [];
  for (const line of stack.split("\n")) {
    const frame = parseStackLine(line);
    if (frame !== undefined) frames.push(frame);
  }
  return frames;
}

/** One line of a V8 stack, or `undefined` when the line is not a frame. */
export function parseStackLine(line: string): Frame | undefined {
  const match = /^\s*at (?:async )?(.*)$/.exec(line);
  if (match?.[1] === undefined) return undefined;
  const body = match[1].trim();
  const withFn = /^(.*?) \((.*)\)$/.exec(body);
  const fn = withFn?.[1] ?? "<anonymous>";
  const location = withFn?.[2] ?? body;
  const position = parseLocation(location);
  if (position === undefined) {
    // `at Generator.next (<anonymous>)`, `at async Promise.all (index 0)`, `at fn (native)`:
    // V8 built-ins with no source position.
    return makeFrame(withFn === undefined ? body : fn, "<anonymous>", 0, 0);
  }
  return makeFrame(fn, position.file, position.line, position.col);
}

interface Location {
  file: string;
  line: number;
  col: number;
}

function parseLocation(location: string): Location | undefined {
  let text = location;
  if (text.startsWith("eval at ")) {
    // `eval at fn (file:1:2), <anonymous>:3:4`: the evaluated code has no file of its own;
    // the eval call site is the line a reader can open.
    const origin = /\(([^()]*?):(\d+):(\d+)\)/.exec(text);
    if (origin === null) return undefined;
    text = `${origin[1]}:${origin[2]}:${origin[3]}`;
  }
  const match = /^(.*):(\d+):(\d+)$/.exec(text);
  if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) {
    return undefined;
  }
  return { file: normaliseFile(match[1]), line: Number(match[2]), col: Number(match[3]) };
}

/** The V8 call-site methods we use (a subset of `NodeJS.CallSite`). */
interface CallSite {
  getFunctionName(): string | null;
  getMethodName(): string | null;
  getTypeName(): string | null;
  getFileName(): string | undefined | null;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  getEvalOrigin(): string | undefined;
  isEval(): boolean;
  isToplevel(): boolean;
  isConstructor(): boolean;
  isNative(): boolean;
}

function structuredStackTrace(_error: Error, sites: unknown[]): unknown {
  return sites;
}

/**
 * Read the holder's `stack` as structured call sites. V8 formats lazily, with the
 * `Error.prepareStackTrace` in place at the time of this first read: ours is installed
 * only for that read and the application's own (if any) is put back in `finally`.
 */
function readCallSites(holder: RawStackHolder): unknown {
  // Saved to be put back as it was, never called: `this` does not matter.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = structuredStackTrace;
  try {
    return holder.stack;
  } finally {
    Error.prepareStackTrace = previous;
  }
}

function frameFromCallSite(site: CallSite): Frame {
  const fn = callSiteName(site);
  let file = site.getFileName() ?? undefined;
  let line = site.getLineNumber() ?? 0;
  let col = site.getColumnNumber() ?? 0;
  if (site.isEval()) {
    const origin = parseLocation(`eval at ${site.getEvalOrigin() ?? ""}`);
    if (origin !== undefined) ({ file, line, col } = origin);
  }
  if (file === undefined || file === "") return makeFrame(fn, "<anonymous>", 0, 0);
  return makeFrame(fn, normaliseFile(file), line, col);
}

/** The name V8 would print: `fn`, `Type.method`, `new Type`, `<anonymous>`. */
function callSiteName(site: CallSite): string {
  const fnName = site.getFunctionName();
  if (site.isConstructor()) return `new ${fnName ?? "<anonymous>"}`;
  if (site.isToplevel()) return fnName ?? "<anonymous>";
  const typeName = safeTypeName(site);
  const name = fnName ?? site.getMethodName() ?? "<anonymous>";
  if (typeName === null || name.startsWith(`${typeName}.`)) return name;
  return `${typeName}.${name}`;
}

function safeTypeName(site: CallSite): string | null {
  try {
    return site.getTypeName();
  } catch {
    // A receiver whose constructor lookup throws (revoked proxies).
    return null;
  }
}

/** URL → path conversions are a large share of resolving a frame; files repeat. */
const pathOfUrl = new Map<string, string>();
const MAX_CACHED_PATHS = 1_024;

function normaliseFile(file: string): string {
  if (!file.startsWith("file://")) return file;
  let path = pathOfUrl.get(file);
  if (path !== undefined) return path;
  try {
    path = fileURLToPath(file);
  } catch {
    path = file;
  }
  if (pathOfUrl.size >= MAX_CACHED_PATHS) pathOfUrl.clear();
  pathOfUrl.set(file, path);
  return path;
}

function makeFrame(fn: string, file: string, line: number, col: number): Frame {
  const mapped = mapPosition(file, line, col);
  const finalFile = mapped?.file ?? file;
  const frame: { -readonly [K in keyof Frame]: Frame[K] } = {
    fn,
    file: finalFile,
    line: mapped?.line ?? line,
    col: mapped?.col ?? col,
  };
  if (isInternalFile(finalFile)) frame.internal = true;
  else if (isLoopscopeFile(finalFile)) frame.loopscope = true;
  return frame;
}

/** Node's own code, and V8 built-ins with no file. */
export function isInternalFile(file: string): boolean {
  return file.startsWith("node:") || file.startsWith("internal/") || file === "<anonymous>";
}

/** `.../packages/loopscope/` (this file is `src/report/frames.ts` or `dist/report/frames.js`). */
const packageRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url)))) + sep;
const ownDirs = [`${packageRoot}src${sep}`, `${packageRoot}dist${sep}`];

/** loopscope's own code, as source or as built output. */
export function isLoopscopeFile(file: string): boolean {
  return ownDirs.some((dir) => file.startsWith(dir));
}
