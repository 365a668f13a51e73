import type { MeterProvider } from "@opentelemetry/api";
import type { StatsD } from "hot-shots";
import type { Registry } from "prom-client";
import { LoopMetricsCollector } from "./collector.js";
import type { OptionalPackageName } from "./optional-package.js";
import { loadOptionalPackage } from "./optional-package.js";
import { registerOpenTelemetryMetrics } from "./otel.js";
import type { PrometheusServer } from "./prometheus.js";
import { registerPrometheusMetrics, servePrometheus } from "./prometheus.js";
import type { LoopMetricsSample } from "./sample.js";
import type { StatsdTarget } from "./statsd.js";
import { createStatsdExporter } from "./statsd.js";

/**
 * Options of {@link startMetrics}. A `LoopscopeConfig` (from `configFromEnv()`) is
 * accepted as it is; the other fields are for applications wiring metrics in code.
 */
export interface MetricsOptions {
  /** Interval length in milliseconds (`LOOPSCOPE_METRICS_INTERVAL_MS`, default 10,000). */
  readonly metricsIntervalMs?: number;
  /** Send to StatsD over UDP (`LOOPSCOPE_STATSD=host:port`, `LOOPSCOPE_STATSD_PREFIX`). */
  readonly statsd?: StatsdTarget;
  /** Send through the application's own hot-shots client instead (its prefix applies). */
  readonly statsdClient?: StatsD;
  /**
   * Serve `GET /metrics` (`LOOPSCOPE_PROMETHEUS=host:port`). `token` defaults to
   * `LOOPSCOPE_PROMETHEUS_TOKEN`, `allowRemote` to `LOOPSCOPE_PROMETHEUS_ALLOW_REMOTE=1`.
   */
  readonly prometheus?: {
    readonly host: string;
    readonly port: number;
    readonly token?: string;
    readonly allowRemote?: boolean;
  };
  /** Register the metrics into the application's own prom-client registry. */
  readonly registry?: Registry;
  /** Publish through OpenTelemetry: observable instruments on a meter from this provider. */
  readonly meterProvider?: MeterProvider;
  /** Called with each finished interval (after the exporters). */
  readonly onSample?: (sample: LoopMetricsSample) => void;
  /** Called with exporter errors (a StatsD socket error, a port in use); default: a one-time warning. */
  readonly onError?: (error: Error) => void;
}

/** Running loop metrics. */
export interface LoopMetrics {
  /** The last finished interval, if one finished. */
  latest(): LoopMetricsSample | undefined;
  /** End the current interval now and export it (tests, and a last sample at shutdown). */
  collect(): LoopMetricsSample;
  /** The `/metrics` URL once listening, when the Prometheus server is on; `undefined` otherwise. */
  readonly prometheusUrl: Promise<string> | undefined;
  /** Stop measuring, unregister, close the server and the StatsD socket. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_INTERVAL_MS = 10_000;

/**
 * Measure the loop per interval and export it: loop delay p50/p90/p99/max, utilisation,
 * blocked count and time (from the watchdog, when it runs), tasks pending, events dropped;
 * to StatsD, Prometheus and/or OpenTelemetry as configured. The timer and the sockets are
 * unref'd; exporter errors never reach the application.
 *
 * @throws TypeError naming the option and the value when an option is invalid.
 * @throws {@link MissingPackageError} when a configured exporter's package is not
 *   installed (checked before anything starts).
 * @example
 * ```ts
 * const metrics = startMetrics({ statsd: { host: "127.0.0.1", port: 8125 }, metricsIntervalMs: 10_000 });
 * // aiodebug: monitor_loop_lag(statsd_client)
 * await metrics.stop();
 * ```
 */
export function startMetrics(options: MetricsOptions = {}): LoopMetrics {
  const intervalMs = options.metricsIntervalMs ?? DEFAULT_INTERVAL_MS;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new TypeError(
      `startMetrics: options.metricsIntervalMs must be a positive number, got ${String(intervalMs)}`,
    );
  }
  if (options.onSample !== undefined && typeof options.onSample !== "function") {
    throw new TypeError(
      `startMetrics: options.onSample must be a function, got ${typeof options.onSample}`,
    );
  }
  checkExporterPackages(options);
  const onError = options.onError ?? warnOnce();
  const exporters: Array<{ update(sample: LoopMetricsSample): void }> = [];
  const closers: Array<() => Promise<void> | void> = [];

  if (options.statsdClient !== undefined || options.statsd !== undefined) {
    const statsd = createStatsdExporter(
      options.statsdClient !== undefined
        ? { client: options.statsdClient }
        : checkStatsd(options.statsd as StatsdTarget),
      onError,
    );
    exporters.push({ update: (sample) => statsd.send(sample) });
    closers.push(() => statsd.close());
  }
  if (options.registry !== undefined) {
    const prometheus = registerPrometheusMetrics(options.registry);
    exporters.push(prometheus);
    closers.push(() => prometheus.unregister());
  }
  let prometheusUrl: Promise<string> | undefined;
  if (options.prometheus !== undefined) {
    const { Registry } = loadOptionalPackage("prom-client");
    const registry = new Registry();
    const server: PrometheusServer = servePrometheus(registry, {
      host: options.prometheus.host,
      port: options.prometheus.port,
      token: options.prometheus.token ?? nonEmpty(process.env.LOOPSCOPE_PROMETHEUS_TOKEN),
      allowRemote:
        options.prometheus.allowRemote ?? process.env.LOOPSCOPE_PROMETHEUS_ALLOW_REMOTE === "1",
    });
    server.url.catch(onError);
    prometheusUrl = server.url;
    exporters.push(registerPrometheusMetrics(registry));
    closers.push(() => server.close());
  }
  if (options.meterProvider !== undefined) {
    const otel = registerOpenTelemetryMetrics(options.meterProvider);
    exporters.push(otel);
    closers.push(() => otel.unregister());
  }

  const collector = new LoopMetricsCollector(intervalMs, (sample) => {
    for (const exporter of exporters) {
      try {
        exporter.update(sample);
      } catch (error) {
        onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
    if (options.onSample !== undefined) {
      try {
        options.onSample(sample);
      } catch {
        // A failing subscriber must not reach the application.
      }
    }
  });

  let stopping: Promise<void> | undefined;
  return {
    latest: () => collector.latest,
    collect: () => collector.collect(),
    prometheusUrl,
    stop() {
      stopping ??= (async () => {
        collector.stop();
        await Promise.allSettled(closers.map(async (close) => close()));
      })();
      return stopping;
    },
  };
}

/**
 * Check that the packages of the exporters `options` configure are installed (they are
 * optional peer dependencies), so that a missing one stops start-up before anything runs.
 * Exporters given the application's own client or provider need nothing more.
 *
 * @param from - where to resolve from; loopscope's own folder unless a test says otherwise.
 * @throws {@link MissingPackageError} naming the first missing package and the command
 *   that installs it.
 */
export function checkExporterPackages(options: MetricsOptions, from?: NodeJS.Require): void {
  for (const name of exporterPackages(options)) loadOptionalPackage(name, from);
}

function exporterPackages(options: MetricsOptions): OptionalPackageName[] {
  const names: OptionalPackageName[] = [];
  if (options.statsd !== undefined && options.statsdClient === undefined) names.push("hot-shots");
  if (options.prometheus !== undefined || options.registry !== undefined) {
    names.push("prom-client");
  }
  return names;
}

function checkStatsd(target: StatsdTarget): StatsdTarget {
  if (typeof target.host !== "string" || target.host === "") {
    throw new TypeError(
      `startMetrics: options.statsd.host must be a host name, got ${String(target.host)}`,
    );
  }
  if (!Number.isInteger(target.port) || target.port <= 0 || target.port > 65535) {
    throw new TypeError(
      `startMetrics: options.statsd.port must be an integer 1..65535, got ${String(target.port)}`,
    );
  }
  return target;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** The default error sink: one process warning for the first error, then silence (a dead StatsD must not flood stderr). */
function warnOnce(): (error: Error) => void {
  let warned = false;
  return (error) => {
    if (warned) return;
    warned = true;
    process.emitWarning(`loopscope metrics: ${error.message}`, { code: "LOOPSCOPE_WARN_METRICS" });
  };
}
