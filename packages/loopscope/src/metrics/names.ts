/**
 * Every metric name, per exporter, in one place (the README's table is made from this).
 * Each ecosystem's conventions: Prometheus base units (seconds) and `_total` counters;
 * StatsD dotted names under a prefix, milliseconds; OpenTelemetry semantic conventions
 * (`nodejs.eventloop.*`, unit `s`) where they exist.
 */
export const PROMETHEUS_NAMES = {
  delayP50: "loopscope_eventloop_delay_p50_seconds",
  delayP90: "loopscope_eventloop_delay_p90_seconds",
  delayP99: "loopscope_eventloop_delay_p99_seconds",
  delayMax: "loopscope_eventloop_delay_max_seconds",
  utilization: "loopscope_eventloop_utilization_ratio",
  blockedCount: "loopscope_eventloop_blocked_total",
  blockedTime: "loopscope_eventloop_blocked_seconds_total",
  tasksPending: "loopscope_tasks_pending",
  eventsDropped: "loopscope_events_dropped_total",
} as const;

/** StatsD names, after the configured prefix (default `loopscope.`). */
export const STATSD_NAMES = {
  delayP50: "eventloop.delay.p50",
  delayP90: "eventloop.delay.p90",
  delayP99: "eventloop.delay.p99",
  delayMax: "eventloop.delay.max",
  utilization: "eventloop.utilization",
  blockedCount: "eventloop.blocked.count",
  blockedTime: "eventloop.blocked.time",
  tasksPending: "tasks.pending",
  eventsDropped: "events.dropped",
} as const;

export const OTEL_NAMES = {
  delayP50: "nodejs.eventloop.delay.p50",
  delayP90: "nodejs.eventloop.delay.p90",
  delayP99: "nodejs.eventloop.delay.p99",
  delayMax: "nodejs.eventloop.delay.max",
  utilization: "nodejs.eventloop.utilization",
  blockedCount: "loopscope.eventloop.blocked.count",
  blockedTime: "loopscope.eventloop.blocked.time",
  tasksPending: "loopscope.tasks.pending",
  eventsDropped: "loopscope.events.dropped",
} as const;
