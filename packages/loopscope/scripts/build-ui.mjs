#!/usr/bin/env node
/**
 * Builds the inspector's web dashboard (ui/) into dist/inspector/ui/: app.js (the Preact
 * app, uPlot included), app.css (uPlot's stylesheet and ours), index.html, and
 * manifest.json, which lists each file with its content type, size and SHA-256 so the
 * server can serve them without guessing (and send an ETag).
 *
 * The output is deterministic: no timestamps, files listed in a fixed order. The page is
 * served under a strict Content-Security-Policy, hence one external script and one
 * external stylesheet, and nothing inline.
 *
 * Usage: node packages/loopscope/scripts/build-ui.mjs (from anywhere).
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const uiDir = join(packageDir, "ui");
const outDir = join(packageDir, "dist", "inspector", "ui");

/** The order of the manifest, and the type the server should answer each file with. */
const FILES = [
  ["index.html", "text/html; charset=utf-8"],
  ["app.js", "text/javascript; charset=utf-8"],
  ["app.css", "text/css; charset=utf-8"],
];

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const result = await build({
  entryPoints: { app: join(uiDir, "main.tsx") },
  outdir: outDir,
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  jsx: "automatic",
  jsxImportSource: "preact",
  tsconfig: join(uiDir, "tsconfig.json"),
  metafile: true,
  logLevel: "warning",
  legalComments: "eof",
  charset: "utf8",
});
// The UI takes only types from ../src (`import type`); runtime code from there would drag
// Node's modules into a browser bundle.
const fromSrc = Object.keys(result.metafile.inputs).filter(
  (input) => /(^|\/)src\//.test(input) && !input.includes("node_modules"),
);
if (fromSrc.length > 0) {
  console.error(`build-ui: the bundle includes code from src/: ${fromSrc.join(", ")}`);
  process.exit(1);
}
copyFileSync(join(uiDir, "index.html"), join(outDir, "index.html"));

const files = FILES.map(([name, contentType]) => {
  const body = readFileSync(join(outDir, name));
  return {
    name,
    contentType,
    size: body.length,
    sha256: createHash("sha256").update(body).digest("hex"),
  };
});
writeFileSync(join(outDir, "manifest.json"), JSON.stringify({ files }, null, 2) + "\n");

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(
  `inspector ui: ${files.map((f) => `${f.name} ${kib(f.size)}`).join(", ")} -> ${outDir}`,
);
