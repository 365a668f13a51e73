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
  /** {@link InspectorError}: `startInspector()` while an inspector is already running. */
  inspectRunning: "LOOPSCOPE_ERR_INSPECT_RUNNING",
  /** {@link InspectorError}: `startInspector()` called off the main thread. */
  inspectThread: "LOOPSCOPE_ERR_INSPECT_THREAD",
  /** {@link InspectorError}: the inspector's server could not listen (port in use, bad host). */
  inspectListen: "LOOPSCOPE_ERR_INSPECT_LISTEN",
  // The inspector's answers: not thrown, sent as `error.code` of an `ErrorAnswer` with an
  // HTTP status (protocol/inspector.ts), or on the live channel in an `error` message.
  /** 401: no token, or a wrong one. */
  inspectToken: "LOOPSCOPE_ERR_INSPECT_TOKEN",
  /** 400 or 413: a malformed request (bad parameter, a body, a bad live message). */
  inspectRequest: "LOOPSCOPE_ERR_INSPECT_REQUEST",
  /** 404: no such endpoint. */
  inspectNotFound: "LOOPSCOPE_ERR_INSPECT_NOT_FOUND",
  /** 405: the endpoint does not take this method. */
  inspectMethod: "LOOPSCOPE_ERR_INSPECT_METHOD",
  /** 403: a control action (cancel) while control is off. */
  inspectControl: "LOOPSCOPE_ERR_INSPECT_CONTROL",
  /** 404: no pending task has this id. */
  inspectNoTask: "LOOPSCOPE_ERR_INSPECT_NO_TASK",
  /** 409: a CPU profile is being taken. */
  inspectProfiling: "LOOPSCOPE_ERR_INSPECT_PROFILING",
  /** 503: the loop is blocked and no earlier answer to this question was kept. */
  inspectBlocked: "LOOPSCOPE_ERR_INSPECT_BLOCKED",
  /** 500: the main thread failed to answer (a bug: the message says what failed). */
  inspectAnswer: "LOOPSCOPE_ERR_INSPECT_ANSWER",
  /** 500: the server thread failed to answer (a bug). */
  inspectServer: "LOOPSCOPE_ERR_INSPECT_SERVER",
} as const);

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
