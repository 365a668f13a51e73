import { privateRuntimeDir } from "../../../../scripts/child-env.mjs";

/** This test file's own XDG_RUNTIME_DIR for the children it starts (see privateRuntimeDir). */
export function testRuntimeDir(): string {
  return privateRuntimeDir("mayhem");
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
