#!/usr/bin/env node
/**
 * Checks the folder layering of a package's `src`:
 * - an import into another folder goes through that folder's `index.ts` (its face), or the
 *   `index.ts` of one of its sub-folders;
 * - no cycle between folders;
 * - no import from a lower layer into a higher one.
 *
 * Layers are given bottom first; each entry is a folder name, or an array of folder names
 * that share a layer (they may import each other's index, but not in a cycle). Files at
 * the top of `src` (`index.ts`, `register.ts`, ...) are the folder "." and belong in the
 * order too, usually last. A layer named in the order but absent from `src` is fine (a
 * folder still to come); a folder of `src` missing from the order is a violation.
 *
 * Imports are read with regular expressions over the `.ts` files: static `import`/`export
 * ... from`, side-effect `import "..."` and `import("...")` with a literal, relative paths
 * only (packages are not layers). Good enough for code formatted by prettier.
 *
 * Use from the command line, with the order as JSON or as a path to a JSON file:
 *   node scripts/check-layers.mjs packages/loopscope/src '["protocol","config",...,"."]'
 * Exit code 0 when clean, 1 with one line per violation, 2 for bad arguments.
 * Or import `checkLayers(srcDir, layers)` and `formatViolation(v)`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The folder of top-level files. */
export const ROOT = ".";

const STATIC_IMPORT =
  /^[ \t]*(?:import|export)\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\}|\w+(?:\s*,\s*(?:\{[^}]*\}|\*\s+as\s+\w+))?)\s+from\s*["']([^"']+)["']/gm;
const SIDE_EFFECT_IMPORT = /^[ \t]*import\s*["']([^"']+)["']/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/**
 * @typedef {object} Violation
 * @property {"bypass" | "cycle" | "upward" | "unlisted"} kind
 * @property {string} message one line for people
 * @property {string} [file] the importing file, relative to `srcDir`
 * @property {number} [line] 1-based line of the import
 * @property {string} [from] the importing folder
 * @property {string} [to] the imported folder
 * @property {string[]} [cycle] the folders of a cycle, in import order
 */

/**
 * Every violation of the layering in `srcDir`, as plain data; an empty array when clean.
 * @param {string} srcDir
 * @param {ReadonlyArray<string | ReadonlyArray<string>>} layers bottom first
 * @returns {Violation[]}
 */
export function checkLayers(srcDir, layers) {
  const layerOf = new Map();
  layers.forEach((entry, index) => {
    for (const folder of Array.isArray(entry) ? entry : [entry]) layerOf.set(folder, index);
  });
  /** @type {Violation[]} */
  const violations = [];
  /** folder → folder → the first import that makes the edge */
  const edges = new Map();
  const folders = new Set();

  for (const file of tsFiles(srcDir)) {
    const rel = relative(srcDir, file);
    const from = folderOf(rel);
    folders.add(from);
    const text = readFileSync(file, "utf8");
    for (const { specifier, line } of relativeImports(text)) {
      const target = relative(srcDir, resolve(dirname(file), specifier));
      if (target.startsWith("..")) continue; // outside src: not a layer
      const to = folderOf(target);
      if (to === from) continue;
      const where = { file: rel, line, from, to };
      if (!throughIndex(srcDir, target, to)) {
        violations.push({
          kind: "bypass",
          ...where,
          message: `${rel}:${line}: imports ${specifier}, inside ${to}/, not through ${to}/index.ts`,
        });
      }
      const lowerLayer = layerOf.get(from);
      const targetLayer = layerOf.get(to);
      if (lowerLayer !== undefined && targetLayer !== undefined && targetLayer > lowerLayer) {
        violations.push({
          kind: "upward",
          ...where,
          message: `${rel}:${line}: ${from} (layer ${lowerLayer}) imports ${to} (layer ${targetLayer}), a higher layer`,
        });
      }
      if (!edges.has(from)) edges.set(from, new Map());
      if (!edges.get(from).has(to)) edges.get(from).set(to, where);
    }
  }

  for (const folder of [...folders].sort()) {
    if (!layerOf.has(folder)) {
      violations.push({
        kind: "unlisted",
        from: folder,
        message: `${folder === ROOT ? "the top-level files" : `${folder}/`} not in the layer order`,
      });
    }
  }
  for (const cycle of folderCycles(edges)) {
    const steps = cycle.map((folder, i) => {
      const next = cycle[(i + 1) % cycle.length];
      const { file, line } = edges.get(folder).get(next);
      return `${folder} → ${next} (${file}:${line})`;
    });
    violations.push({
      kind: "cycle",
      cycle,
      message: `cycle between folders: ${steps.join(", ")}`,
    });
  }
  return violations;
}

/** One line for a violation. */
export function formatViolation(violation) {
  return `${violation.kind}: ${violation.message}`;
}

function* tsFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(path);
    else if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      yield path;
    }
  }
}

/** A file's folder: the first part of its path under `src`, or {@link ROOT}. */
function folderOf(relPath) {
  const parts = relPath.split(sep);
  return parts.length === 1 ? ROOT : parts[0];
}

/** The relative specifiers a file imports, with their lines. */
function relativeImports(text) {
  const found = [];
  for (const pattern of [STATIC_IMPORT, SIDE_EFFECT_IMPORT, DYNAMIC_IMPORT]) {
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const specifier = match[1];
      if (!specifier.startsWith("./") && !specifier.startsWith("../")) continue;
      const at = match.index + match[0].lastIndexOf(specifier);
      found.push({ specifier, line: text.slice(0, at).split("\n").length });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

/**
 * The import lands on the folder's face: `<folder>/index.(js|ts)`, the folder itself, or the
 * index of a sub-folder that is a capability of its own (`broker/nats/index.ts`: a program
 * that uses only the memory broker must not load the NATS client by importing `broker`).
 */
function throughIndex(srcDir, target, folder) {
  if (folder === ROOT) return true; // top-level files have no index of their own
  const inside = target.split(sep).slice(1).join("/");
  if (inside === "") return existsSync(join(srcDir, folder, "index.ts"));
  return /^([^/]+\/)*index\.(js|ts|mjs)$/.test(inside);
}

/**
 * The cycles of the folder graph: one per strongly connected component of two or more
 * folders (Tarjan), given as one closed path through it.
 */
function folderCycles(edges) {
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const components = [];
  let next = 0;
  const visit = (node) => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const to of edges.get(node)?.keys() ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node), low.get(to)));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node), index.get(to)));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component);
    }
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);
  return components.map((component) => closedPath(component, edges));
}

/** A path that visits folders of one component and returns to its start. */
function closedPath(component, edges) {
  const members = new Set(component);
  const start = [...component].sort()[0];
  // Breadth-first from start back to start: the shortest cycle through it.
  const previous = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const to of edges.get(node)?.keys() ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]));
        return path;
      }
      if (!previous.has(to)) {
        previous.set(to, node);
        queue.push(to);
      }
    }
  }
  return [...component].sort();
}

function parseLayers(argument) {
  const text = existsSync(argument) ? readFileSync(argument, "utf8") : argument;
  const layers = JSON.parse(text);
  const valid =
    Array.isArray(layers) &&
    layers.every(
      (entry) =>
        typeof entry === "string" ||
        (Array.isArray(entry) && entry.every((folder) => typeof folder === "string")),
    );
  if (!valid) throw new TypeError("the layer order must be a JSON array of folder names");
  return layers;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [srcDir, order] = process.argv.slice(2);
  if (srcDir === undefined || order === undefined) {
    process.stderr.write(
      "usage: node scripts/check-layers.mjs <src dir> <layers as JSON or a JSON file>\n",
    );
    process.exit(2);
  }
  let layers;
  try {
    layers = parseLayers(order);
  } catch (error) {
    process.stderr.write(`check-layers: ${error.message}\n`);
    process.exit(2);
  }
  const violations = checkLayers(resolve(srcDir), layers);
  for (const violation of violations) process.stdout.write(`${formatViolation(violation)}\n`);
  process.exit(violations.length === 0 ? 0 : 1);
}
