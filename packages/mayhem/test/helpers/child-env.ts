/**
 * The environment for a CLI child process in tests: this process's, without
 * any `MAYHEM_*` or `LOOPSCOPE_*` variable (a developer's shell, or CI, may set
 * some, e.g. `MAYHEM_BROKER`, and they would silently change what a test runs),
 * plus `extra`.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(MAYHEM|LOOPSCOPE)_/i.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}
