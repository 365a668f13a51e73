/**
 * Every stable error code of loopscope, in one table. Callers and tests branch on
 * `error.code`, never on the message. Each code belongs to one error class.
 */
export const ErrorCode = Object.freeze({
  /**
   * {@link LoopscopeConfigError}: a `LOOPSCOPE_*` variable has a value loopscope cannot use.
   * The preload and `loopscope run` stop with exit code 9.
   */
  config: "LOOPSCOPE_ERR_CONFIG",
  /**
   * {@link MissingPackageError}: an exporter is configured but its package (an optional peer
   * dependency: `hot-shots`, `prom-client`) is not installed. The preload and `loopscope run`
   * stop with exit code 9.
   */
  missingPackage: "LOOPSCOPE_ERR_MISSING_PACKAGE",
  /** {@link PrometheusServerError}: the `/metrics` server could not listen (port in use...). */
  prometheusListen: "LOOPSCOPE_ERR_PROMETHEUS_LISTEN",
  /** {@link WatchdogError}: `startWatchdog()` while a watchdog is already running. */
  watchdogRunning: "LOOPSCOPE_ERR_WATCHDOG_RUNNING",
  /** {@link WatchdogError}: `startWatchdog()` called off the main thread. */
  watchdogThread: "LOOPSCOPE_ERR_WATCHDOG_THREAD",
  /**
   * {@link UnsafeRendezvousError}: the rendezvous directory, or a file in it, is a symbolic
   * link, someone else's or open to others: refused, nothing read or written.
   */
  unsafeRendezvous: "LOOPSCOPE_ERR_UNSAFE_RENDEZVOUS",
} as const);

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
