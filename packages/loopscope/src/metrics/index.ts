export { startMetrics, checkExporterPackages } from "./start.js";
export { LoopMetricsCollector } from "./collector.js";
export type { MetricsOptions, LoopMetrics } from "./start.js";
export type { LoopMetricsSample } from "./sample.js";
export { registerPrometheusMetrics, servePrometheus, PrometheusServerError } from "./prometheus.js";
export type {
  PrometheusExporter,
  PrometheusServer,
  PrometheusServerOptions,
} from "./prometheus.js";
export { createStatsdExporter } from "./statsd.js";
export type { StatsdExporter, StatsdTarget } from "./statsd.js";
export { registerOpenTelemetryMetrics } from "./otel.js";
export type { OpenTelemetryExporter } from "./otel.js";
export { PROMETHEUS_NAMES, STATSD_NAMES, OTEL_NAMES } from "./names.js";
export { MissingPackageError } from "./optional-package.js";
