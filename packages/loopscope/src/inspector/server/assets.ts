import { readFileSync } from "node:fs";
import { join } from "node:path";

/** One file of the dashboard, read once and served from memory. */
export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

/** What is served when the dashboard was not built: the API works without it. */
const NOT_BUILT =
  "<!doctype html><meta charset=utf-8><title>loopscope inspector</title>" +
  "<p>The dashboard's files are not built (run <code>npm run build</code>); the API at /api/ works.</p>";

/**
 * The dashboard's files: the names the build's `manifest.json` lists (and only those, so
 * no request path ever reaches the file system), read once at start.
 */
export function loadAssets(dir: string): { index: Asset; files: ReadonlyMap<string, Asset> } {
  const files = new Map<string, Asset>();
  let names: string[] = [];
  try {
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
      files?: { name?: unknown }[];
    };
    names = (manifest.files ?? [])
      .map((file) => file.name)
      .filter((name): name is string => typeof name === "string" && /^[\w.-]+$/.test(name));
  } catch {
    // Not built: the fallback page says so.
  }
  for (const name of names) {
    try {
      const extension = name.slice(name.lastIndexOf("."));
      files.set(name, {
        body: readFileSync(join(dir, name)),
        contentType: CONTENT_TYPES[extension] ?? "application/octet-stream",
      });
    } catch {
      // Listed but missing: not served.
    }
  }
  const index = files.get("index.html") ?? {
    body: Buffer.from(NOT_BUILT),
    contentType: CONTENT_TYPES[".html"]!,
  };
  return { index, files };
}
