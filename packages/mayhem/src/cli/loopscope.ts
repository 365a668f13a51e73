import { LoopscopeConfigError, configFromEnv, start, stop } from "loopscope";

export { LoopscopeConfigError };

/** loopscope as `mayhem run` turned it on. */
export interface MayhemLoopscope {
  /** `production`, or `debug` with `LOOPSCOPE_DEBUG=1`; `preload` when a preload had turned it on already. */
  readonly mode: "production" | "debug" | "preload";
  /** Turns it off again (flushes its events), unless a preload owns it. */
  stop(): Promise<void>;
}

/**
 * Turns loopscope on for `mayhem run`, as its preload would: production mode
 * (task dump on SIGUSR2, the watchdog's `loop-blocked` reports, loop metrics to
 * `LOOPSCOPE_STATSD` / `LOOPSCOPE_PROMETHEUS`), debug mode with `LOOPSCOPE_DEBUG=1`, and
 * the inspector at `inspect` (loopscope prints its URL on stderr).
 *
 * @param env - where the `LOOPSCOPE_*` variables are read.
 * @param inspect - where to serve the inspector unless `LOOPSCOPE_INSPECT` says.
 * @throws LoopscopeConfigError naming the bad variable and value (the CLI exits 2).
 */
export function startLoopscope(
  env: NodeJS.ProcessEnv,
  inspect?: { readonly host: string; readonly port: number },
): MayhemLoopscope {
  const config = configFromEnv(env);
  // The dashboard is part of the demonstration: on unless turned off; LOOPSCOPE_INSPECT wins.
  if (config.inspect === undefined && inspect !== undefined) config.inspect = { ...inspect };
  if (!start(config)) {
    // `node --import loopscope/register` got there first: its configuration stays, and so does it.
    return { mode: "preload", stop: () => Promise.resolve() };
  }
  return { mode: config.debug ? "debug" : "production", stop };
}
