import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let runtimeDir: string | undefined;

/**
 * An XDG_RUNTIME_DIR of this test file's own (created on first use, removed at exit):
 * loopscope in the children keeps its rendezvous directory (`<it>/loopscope`, marker and
 * dump files) there, not in this user's real one.
 */
export function testRuntimeDir(): string {
  if (runtimeDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "mayhem-runtime-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    runtimeDir = dir;
  }
  return runtimeDir;
}

/**
 * The environment for a CLI child process in tests: this process's, without
 * any `MAYHEM_*` or `LOOPSCOPE_*` variable (a developer's shell, or CI, may set
 * some, e.g. `MAYHEM_BROKER`, and they would silently change what a test runs),
 * with this test file's XDG_RUNTIME_DIR ({@link testRuntimeDir}), plus `extra`.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(MAYHEM|LOOPSCOPE)_/i.test(name)) env[name] = value;
  }
  return { ...env, XDG_RUNTIME_DIR: testRuntimeDir(), ...extra };
}
