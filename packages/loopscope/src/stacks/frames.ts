import { dirname, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { setPrepareStackTrace, setStackTraceLimit } from "./error-settings.js";
import type { Frame } from "../protocol/index.js";
import { mapPosition, nodeMapsStackText } from "./source-maps.js";

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
  const limited = setStackTraceLimit(limit);
  try {
    Error.captureStackTrace(holder, skipAbove ?? captureStack);
  } finally {
    if (limited) setStackTraceLimit(previous);
  }
  return holder;
}

/** Saved at load: an application that replaces the global `Error` does not change captures. */
const NativeError = Error;
/** `captureCallerStack` itself and the function that called it: not kept. */
const CALLER_FRAMES = 2;

/**
 * Capture the stack below the function that calls this one, like
 * `captureStack(caller, limit)`, for the hot paths (`spawn`, debug mode's promise
 * hooks). Built as a plain `Error`: `Error.captureStackTrace` turns its holder into a
 * dictionary-mode object (~240 bytes more per capture, measured), an `Error` keeps its
 * fast shape. The two frames above the caller's callers are captured and dropped when
 * the stack is resolved.
 *
 * @internal
 */
export function captureCallerStack(limit: number = DEFAULT_LIMIT): RawStack {
  const previous = NativeError.stackTraceLimit;
  if (!setStackTraceLimit(limit + CALLER_FRAMES)) return new NativeError() as unknown as RawStack;
  try {
    return new NativeError() as unknown as RawStack;
  } finally {
    setStackTraceLimit(previous);
  }
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
    // A `captureCallerStack` holder starts with its own frame and its caller's.
    const skip = holder instanceof NativeError ? CALLER_FRAMES : 0;
    if (Array.isArray(value)) frames = framesFromCallSites(value as CallSite[], skip);
    else if (typeof value === "string") {
      // Formatted by Node: already source-mapped when its source maps are on.
      frames = parseStack(value, { nodeMapped: nodeMapsStackText() }).slice(skip);
    }
  } catch {
    frames = [];
  }
  holder.frames = frames;
  // Drop the call sites: they keep every frame's receiver alive.
  holder.stack = undefined;
  return frames;
}

/** How a stack text was formatted: which source maps its positions have been through. */
export interface ParseStackOptions {
  /**
   * The text was formatted by Node with its own source-map support on: `error.stack`
   * under `--enable-source-maps` or a loader that turns it on (tsx), as
   * `nodeMapsStackText()` tells. Node has then already mapped every frame it holds a
   * map for; mapping those again would move them to unrelated lines (tsx maps `app.ts`
   * onto `app.ts` itself). Only what Node leaves raw is still mapped: a file's own
   * `sourceMappingURL`, and eval call sites. Default `false`: raw V8 positions
   * (`CallSite.toString()`, a stack formatted without Node's source maps).
   */
  readonly nodeMapped?: boolean;
}

/**
 * Parse a V8 stack string (`Error.stack`, or a stack an inspector session returned)
 * into frames, source-mapped and marked like {@link resolveStack}. Lines that are not
 * frames (the error message) are skipped. Never throws.
 */
export function parseStack(stack: string, options?: ParseStackOptions): Frame[] {
  const frames: Frame[] = [];
  for (const line of stack.split("\n")) {
    const frame = parseStackLine(line, options);
    if (frame !== undefined) frames.push(frame);
  }
  return frames;
}

/** One line of a V8 stack, or `undefined` when the line is not a frame. */
export function parseStackLine(line: string, options?: ParseStackOptions): Frame | undefined {
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
  // Node prints an eval frame's call site as V8 gave it, unmapped: map it as raw.
  const nodeMapped = options?.nodeMapped === true && !position.fromEval;
  return makeFrame(fn, position.file, position.line, position.col, nodeMapped);
}

interface Location {
  file: string;
  line: number;
  col: number;
  /** The call site of an `eval`, read from `eval at fn (file:line:col), ...`. */
  fromEval?: true;
}

function parseLocation(location: string): Location | undefined {
  let text = location;
  const fromEval = text.startsWith("eval at ");
  if (fromEval) {
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
  const found: Location = {
    file: normaliseFile(match[1]),
    line: Number(match[2]),
    col: Number(match[3]),
  };
  if (fromEval) found.fromEval = true;
  return found;
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
  /** Source position in the script (V8; absent from older typings). */
  getPosition?(): number;
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
  // Read-only (frozen intrinsics): the stack comes as text, and is parsed.
  if (!setPrepareStackTrace(structuredStackTrace)) return holder.stack;
  try {
    return holder.stack;
  } finally {
    setPrepareStackTrace(previous);
  }
}

/**
 * Resolve many stacks at once (a task dump): inside `fn`, frames are interned by call
 * site and identical stacks share one array, so 100,000 tasks spawned from a handful of
 * lines cost a handful of resolutions, not one per frame of every stack. The cache
 * lives for the batch only: a file reloaded later is read afresh. Nested calls share
 * the outer batch.
 *
 * @internal
 */
export function withFrameCache<T>(fn: () => T): T {
  if (batch !== undefined) return fn();
  batch = new FrameCache();
  try {
    return fn();
  } finally {
    batch = undefined;
  }
}

let batch: FrameCache | undefined = undefined;

function framesFromCallSites(sites: readonly CallSite[], skip: number): readonly Frame[] {
  const cache = batch;
  const count = Math.max(0, sites.length - skip);
  const frames = new Array<Frame>(count);
  for (let i = 0; i < count; i++) {
    const site = sites[i + skip]!;
    frames[i] = cache === undefined ? frameFromCallSite(site) : cache.frame(site);
  }
  return cache === undefined ? frames : cache.stack(frames);
}

/** One resolved call site, told apart from others at the same position by its name parts. */
interface CachedSite {
  readonly fnName: string | null;
  readonly constructs: boolean;
  readonly toplevel: boolean;
  readonly typeName: string | null;
  readonly methodName: string | null;
  readonly frame: Frame;
  readonly next: CachedSite | undefined;
}

/** Identical stacks as one array: a trie over the (interned) frames. */
interface StackNode {
  frames: readonly Frame[] | undefined;
  readonly children: Map<Frame, StackNode>;
}

/**
 * Frames by call site during a batch. A site is its script and source position (two
 * cheap reads where formatting one costs about a microsecond: name, type, file, line,
 * column, source map), plus what makes V8 print a different name at one position:
 * the function's name, `new`, the receiver's type and, for an anonymous method, the
 * property it was found under: exactly what {@link callSiteName} reads. Built-ins
 * (no file) are their name alone. Eval code and scripts without a path (`REPL1`,
 * `evalmachine.<anonymous>`: one name may stand for several scripts) are resolved as
 * before, every time.
 */
class FrameCache {
  private readonly byFile = new Map<string, Map<number, CachedSite>>();
  private readonly stacks: StackNode = { frames: undefined, children: new Map() };

  frame(site: CallSite): Frame {
    let file = site.getFileName();
    let position = 0;
    if (typeof file !== "string" || file === "") {
      // A built-in (`new Promise`, `Promise.all`): its frame is its name alone.
      if (site.isEval()) return frameFromCallSite(site);
      file = "";
    } else if (isPathLike(file) && typeof site.getPosition === "function") {
      position = site.getPosition();
    } else {
      return frameFromCallSite(site);
    }
    const fnName = site.getFunctionName();
    const constructs = site.isConstructor();
    const toplevel = site.isToplevel();
    const typeName = constructs || toplevel ? null : safeTypeName(site);
    // An anonymous method is named after the receiver's property that holds it.
    const methodName = fnName === null && !constructs && !toplevel ? site.getMethodName() : null;
    let byPosition = this.byFile.get(file);
    if (byPosition === undefined) {
      byPosition = new Map();
      this.byFile.set(file, byPosition);
    }
    const first = byPosition.get(position);
    for (let entry = first; entry !== undefined; entry = entry.next) {
      if (
        entry.fnName === fnName &&
        entry.constructs === constructs &&
        entry.toplevel === toplevel &&
        entry.typeName === typeName &&
        entry.methodName === methodName
      ) {
        return entry.frame;
      }
    }
    const frame = frameFromCallSite(site);
    byPosition.set(position, {
      fnName,
      constructs,
      toplevel,
      typeName,
      methodName,
      frame,
      next: first,
    });
    return frame;
  }

  /** The one array for this list of frames. */
  stack(frames: readonly Frame[]): readonly Frame[] {
    let node = this.stacks;
    for (const frame of frames) {
      let next = node.children.get(frame);
      if (next === undefined) {
        next = { frames: undefined, children: new Map() };
        node.children.set(frame, next);
      }
      node = next;
    }
    return (node.frames ??= frames);
  }
}

/** A script with a path (absolute, `file://`, `node:`): one script per name, in practice. */
function isPathLike(file: string): boolean {
  return (
    file.startsWith("/") ||
    file.startsWith("file://") ||
    file.startsWith("node:") ||
    /^[A-Za-z]:[\\/]/.test(file)
  );
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

/** `nodeMapped`: the position was printed by Node with its source maps on (see {@link ParseStackOptions}). */
function makeFrame(fn: string, file: string, line: number, col: number, nodeMapped = false): Frame {
  const mapped = mapPosition(file, line, col, nodeMapped ? NODE_MAPPED : undefined);
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

const NODE_MAPPED = { nodeMapped: true } as const;

/** Node's own code, and V8 built-ins with no file. */
export function isInternalFile(file: string): boolean {
  return file.startsWith("node:") || file.startsWith("internal/") || file === "<anonymous>";
}

/** `.../packages/loopscope/` (this file is `src/stacks/frames.ts` or `dist/stacks/frames.js`). */
const packageRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url)))) + sep;
const ownDirs = [`${packageRoot}src${sep}`, `${packageRoot}dist${sep}`];

/** loopscope's own code, as source or as built output. */
export function isLoopscopeFile(file: string): boolean {
  return ownDirs.some((dir) => file.startsWith(dir));
}
