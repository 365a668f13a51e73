import { readFileSync, statSync } from "node:fs";
import nodeModule, { findSourceMap } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";

/** A position in an original source, 1-based like `Error.stack`. */
export interface OriginalPosition {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

type Lookup = (line: number, col: number) => OriginalPosition | undefined;

/**
 * Bounded so a process that loads thousands of modules does not keep every
 * source map alive; an evicted map is simply read again on the next miss.
 */
const MAX_CACHED_FILES = 256;
/** Generated files larger than this are not scanned for a `sourceMappingURL` comment. */
const MAX_SCANNED_BYTES = 32 * 1024 * 1024;
/** The comment is at the end of the file; no need to decode all of it. */
const TAIL_BYTES = 64 * 1024;

/** Per file: Node's map then the file's own (a raw position), or the file's own alone. */
const cache = new Map<string, Lookup | null>();
const fileOnlyCache = new Map<string, Lookup | null>();

/** How a position was obtained, which says which maps are still to be applied. */
export interface MapPositionOptions {
  /**
   * The position was printed by Node with its own source-map support on (`error.stack`
   * under `--enable-source-maps` or a loader such as tsx, see
   * {@link nodeMapsStackText}): Node has already applied the map it holds for the file,
   * so only the file's own `sourceMappingURL` is still followed. Applying Node's map a
   * second time would move the position to an unrelated line. Default `false`: a raw
   * V8 position (a structured call site, an inspector frame).
   */
  readonly nodeMapped?: boolean;
}

/**
 * Map a generated position (1-based line and column) to its original source.
 * Returns `undefined` when the file has no usable source map. Never throws:
 * a missing or broken map keeps the generated position.
 */
export function mapPosition(
  file: string,
  line: number,
  col: number,
  options?: MapPositionOptions,
): OriginalPosition | undefined {
  if (line <= 0 || !isMappableFile(file)) return undefined;
  try {
    const lookup = options?.nodeMapped === true ? fileOnlyLookupFor(file) : lookupFor(file);
    return lookup?.(line, col);
  } catch {
    return undefined;
  }
}

/** Forget every cached map (tests; files rewritten at runtime). */
export function clearSourceMapCache(): void {
  cache.clear();
  fileOnlyCache.clear();
}

type PrepareStackTrace = typeof Error.prepareStackTrace;
type SourceMapsSupport = () => { enabled?: unknown } | undefined;

/**
 * Node's own formatter, as found when loopscope loaded (before the application could
 * replace it): a default function in the Node versions loopscope supports, `undefined`
 * in older ones.
 */
// eslint-disable-next-line @typescript-eslint/unbound-method -- compared, never called
const nodePrepareStackTrace: PrepareStackTrace = Error.prepareStackTrace;

/**
 * Whether Node's own source-map support is on now: `--enable-source-maps`,
 * `NODE_OPTIONS`, or a loader that turned it on (tsx calls `process.setSourceMapsEnabled`).
 * Feature-detected: `module.getSourceMapsSupport()` where Node has it (22.14+, 23.7+),
 * `process.sourceMapsEnabled` before (20.7+).
 */
export function nodeSourceMapsEnabled(): boolean {
  try {
    const getSupport = (nodeModule as { getSourceMapsSupport?: SourceMapsSupport })
      .getSourceMapsSupport;
    if (typeof getSupport === "function") return getSupport()?.enabled === true;
    return (process as { sourceMapsEnabled?: unknown }).sourceMapsEnabled === true;
  } catch {
    return false;
  }
}

/**
 * Whether a stack text Node formats now (`error.stack` read for the first time) comes
 * out already source-mapped: Node's source-map support is on and `Error.prepareStackTrace`
 * is still Node's own. (An application's own `prepareStackTrace` receives V8's raw call
 * sites, as loopscope's does during a capture: those are never mapped by Node.) A stack
 * formatted earlier, under other settings, cannot be told apart; settings rarely change
 * after start-up.
 */
export function nodeMapsStackText(): boolean {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- compared, never called
  const prepare = Error.prepareStackTrace;
  if (prepare !== undefined && prepare !== nodePrepareStackTrace) return false;
  return nodeSourceMapsEnabled();
}

function isMappableFile(file: string): boolean {
  return file.startsWith("/") || /^[A-Za-z]:[\\/]/.test(file);
}

function lookupFor(file: string): Lookup | null {
  return remember(cache, file, () => chain(nodeLookup(file), file));
}

/**
 * For a position Node has already mapped with the map it holds: what is left is the
 * file's own map. It applies where Node held none (a module loaded before the support
 * was turned on; `node_modules` with `nodeModules: false`) and to a generated file
 * Node's map led to.
 */
function fileOnlyLookupFor(file: string): Lookup | null {
  return remember(fileOnlyCache, file, () => fileLookup(file));
}

function remember(
  store: Map<string, Lookup | null>,
  file: string,
  make: () => Lookup | null,
): Lookup | null {
  const cached = store.get(file);
  if (cached !== undefined) return cached;
  const lookup = make();
  if (store.size >= MAX_CACHED_FILES) {
    const oldest = store.keys().next();
    if (oldest.done !== true) store.delete(oldest.value);
  }
  store.set(file, lookup);
  return lookup;
}

/**
 * Loaders (tsx) transform plain .js files too and register a map from their output back
 * onto the same file; the file's own `sourceMappingURL` (to the .ts) applies after it.
 */
function chain(fromNode: Lookup | null, file: string): Lookup | null {
  const fromFile = fileLookup(file);
  if (fromNode === null) return fromFile;
  if (fromFile === null) return fromNode;
  return (line, col) => {
    const first = fromNode(line, col);
    if (first === undefined || first.file !== file) return first;
    return fromFile(first.line, first.col) ?? first;
  };
}

/**
 * Node keeps the maps it has seen when source maps are enabled (`--enable-source-maps`,
 * or loaders such as tsx that turn them on): these cover code transformed in memory,
 * which no file on disk describes.
 */
function nodeLookup(file: string): Lookup | null {
  let map: ReturnType<typeof findSourceMap>;
  try {
    map = findSourceMap(file) ?? findSourceMap(pathToFileURL(file).href);
  } catch {
    return null;
  }
  if (map === undefined) return null;
  return (line, col) => {
    const entry = map.findEntry(line - 1, col - 1) as Partial<{
      originalSource: string;
      originalLine: number;
      originalColumn: number;
    }>;
    if (entry.originalSource === undefined || entry.originalLine === undefined) return undefined;
    return {
      file: toPath(entry.originalSource),
      line: entry.originalLine + 1,
      col: (entry.originalColumn ?? 0) + 1,
    };
  };
}

/** The file's own map, from its `sourceMappingURL` comment; `null` if none or broken (cached as such). */
function fileLookup(file: string): Lookup | null {
  let traceMap: TraceMap;
  try {
    const url = sourceMappingUrl(file);
    if (url === undefined) return null;
    const { json, mapFile } = readMap(file, url);
    traceMap = new TraceMap(json, pathToFileURL(mapFile).href);
  } catch {
    return null;
  }
  return (line, col) => {
    const pos = originalPositionFor(traceMap, { line, column: col - 1 });
    if (pos.source === null || pos.line === null) return undefined;
    return { file: toPath(pos.source), line: pos.line, col: (pos.column ?? 0) + 1 };
  };
}

function sourceMappingUrl(file: string): string | undefined {
  const size = statSync(file, { throwIfNoEntry: false })?.size;
  if (size === undefined || size > MAX_SCANNED_BYTES) return undefined;
  const text = readFileSync(file, "utf8");
  const tail = text.length > TAIL_BYTES ? text.slice(-TAIL_BYTES) : text;
  let found: string | undefined;
  for (const match of tail.matchAll(/\/\/[#@] sourceMappingURL=(\S+)/g)) found = match[1];
  return found;
}

function readMap(file: string, url: string): { json: string; mapFile: string } {
  const dataUrl = /^data:application\/json(?:;charset=[^;,]+)?;base64,(.*)$/.exec(url);
  if (dataUrl?.[1] !== undefined) {
    return { json: Buffer.from(dataUrl[1], "base64").toString("utf8"), mapFile: file };
  }
  const mapFile = url.startsWith("file:")
    ? fileURLToPath(url)
    : resolve(dirname(file), decodeURIComponent(url));
  return { json: readFileSync(mapFile, "utf8"), mapFile };
}

/** Sources repeat for every frame of a file: convert each URL once (bounded). */
const pathOfSource = new Map<string, string>();

function toPath(source: string): string {
  if (!source.startsWith("file:")) return source;
  let path = pathOfSource.get(source);
  if (path !== undefined) return path;
  try {
    path = fileURLToPath(source);
  } catch {
    path = source;
  }
  if (pathOfSource.size >= 1_024) pathOfSource.clear();
  pathOfSource.set(source, path);
  return path;
}
