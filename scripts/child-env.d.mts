/** Types of child-env.mjs, for the TypeScript tests and benches that use it. */
export function environmentWithoutLoopscope(): NodeJS.ProcessEnv;
export function privateRuntimeDir(prefix: string): string;
