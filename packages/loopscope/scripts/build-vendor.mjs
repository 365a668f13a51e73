#!/usr/bin/env node
/**
 * Bundles the terminal UI library `loopscope top` draws with (terminal-kit, about 4 MB
 * and 15 packages installed) into one file, dist/vendor/terminal-kit.cjs, so that the
 * published package depends on none of it. Its image loaders are left out: top draws
 * no images. The output is deterministic.
 *
 * Usage: node packages/loopscope/scripts/build-vendor.mjs (from anywhere).
 */
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(packageDir, "dist", "vendor");

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

await build({
  // The entry terminal-kit offers bundlers: its default one requires its parts lazily, by
  // names a bundler cannot follow.
  entryPoints: ["terminal-kit/lib/termkit-no-lazy-require.js"],
  outfile: join(outDir, "terminal-kit.cjs"),
  absWorkingDir: packageDir,
  bundle: true,
  minify: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  logLevel: "warning",
  legalComments: "eof",
  plugins: [
    {
      name: "leave-out",
      setup(build) {
        // terminal-kit requires its terminal configurations by a computed name, so the
        // bundler takes the whole folder, README included: that is no module.
        build.onLoad({ filter: /[\\/]termconfig[\\/]README$/ }, () => ({
          contents: "",
          loader: "empty",
        }));
        // Its parts require the lazy entry themselves; in a bundle they get the other one.
        build.onResolve({ filter: /(^|\/)termkit\.js$/ }, (args) => ({
          path: join(
            args.resolveDir,
            args.path.replace(/termkit\.js$/, "termkit-no-lazy-require.js"),
          ),
        }));
        // Only terminal-kit's image drawing loads these.
        build.onResolve({ filter: /^@cronvel\/get-pixels$/ }, () => ({
          path: "get-pixels",
          namespace: "left-out",
        }));
        build.onLoad({ filter: /.*/, namespace: "left-out" }, () => ({
          contents:
            'module.exports = () => { throw new Error("loopscope top bundles no image loader"); };',
          loader: "js",
        }));
      },
    },
  ],
});
