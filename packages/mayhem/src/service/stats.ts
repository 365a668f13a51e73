/** What the service counted; a fresh, plain copy from {@link ServiceStats.snapshot}. */
export interface ServiceStatsSnapshot {
  readonly published: number;
  readonly publishErrors: number;
  readonly pulled: number;
  readonly pullErrors: number;
  readonly malformed: number;
  readonly extended: number;
  readonly saved: number;
  readonly saveFailures: number;
  readonly restarted: number;
  readonly restartFailures: number;
  readonly restartRetries: number;
  readonly acked: number;
  readonly nacked: number;
  /** Handlers stopped by shutdown (their messages were nacked by the dispatcher). */
  readonly aborted: number;
  /** In-flight messages nacked at shutdown. */
  readonly nackedAtShutdown: number;
  /** Unhandled rejections and uncaught exceptions seen by the process handler. */
  readonly processErrors: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Plain counters, incremented in place on the hot path. */
export class ServiceStats implements Mutable<ServiceStatsSnapshot> {
  published = 0;
  publishErrors = 0;
  pulled = 0;
  pullErrors = 0;
  malformed = 0;
  extended = 0;
  saved = 0;
  saveFailures = 0;
  restarted = 0;
  restartFailures = 0;
  restartRetries = 0;
  acked = 0;
  nacked = 0;
  aborted = 0;
  nackedAtShutdown = 0;
  processErrors = 0;

  snapshot(): ServiceStatsSnapshot {
    return { ...this };
  }
}
