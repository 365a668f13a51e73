/**
 * What the tests and benches of both packages give the child processes they start. One
 * module at the root, since loopscope must not depend on Mayhem, even in a test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** This process's environment without LOOPSCOPE_* and NODE_OPTIONS: a child's clean slate. */
export function environmentWithoutLoopscope() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("LOOPSCOPE_") && key !== "NODE_OPTIONS") env[key] = value;
  }
  return env;
}

const runtimeDirs = new Map();

/**
 * An XDG_RUNTIME_DIR of this process's own, named after `prefix` (created on first use,
 * removed at exit), for the children it starts: loopscope in them keeps its rendezvous
 * directory (`<it>/loopscope`: marker and dump files) there, out of this user's real one
 * and of other test files running at the same time.
 */
export function privateRuntimeDir(prefix) {
  let dir = runtimeDirs.get(prefix);
  if (dir === undefined) {
    dir = mkdtempSync(join(tmpdir(), `${prefix}-runtime-`));
    const created = dir;
    process.once("exit", () => rmSync(created, { recursive: true, force: true }));
    runtimeDirs.set(prefix, dir);
  }
  return dir;
}
