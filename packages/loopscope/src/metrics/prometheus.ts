import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { isIP } from "node:net";
import type { Counter, Gauge, Registry } from "prom-client";
import { LoopscopeError } from "../errors/index.js";
import { PROMETHEUS_NAMES } from "./names.js";
import { loadOptionalPackage } from "./optional-package.js";
import type { LoopMetricsSample } from "./sample.js";

/** Loop metrics registered in one prom-client registry. */
export interface PrometheusExporter {
  /** Set the gauges and add to the counters from a finished interval. */
  update(sample: LoopMetricsSample): void;
  /** Remove the metrics from the registry. */
  unregister(): void;
}

/**
 * Register loopscope's loop metrics into a prom-client registry (an application's own, or
 * the one the `/metrics` server uses). Values change only at interval ends: a scrape reads
 * the last finished interval and never measures anything itself (a lag gauge computed at
 * scrape time measures the scrape). Counters (`*_total`) grow by each interval's count,
 * for `rate()` and `increase()`.
 *
 * @throws {@link MissingPackageError} when `prom-client` is not installed where loopscope
 *   can load it.
 */
export function registerPrometheusMetrics(registry: Registry): PrometheusExporter {
  const { Counter, Gauge } = loadOptionalPackage("prom-client");
  const registers = [registry];
  const gauge = (name: string, help: string): Gauge => new Gauge({ name, help, registers });
  const counter = (name: string, help: string): Counter => new Counter({ name, help, registers });
  const n = PROMETHEUS_NAMES;
  const delayP50 = gauge(
    n.delayP50,
    "Event loop delay, 50th percentile over the last interval, in seconds.",
  );
  const delayP90 = gauge(
    n.delayP90,
    "Event loop delay, 90th percentile over the last interval, in seconds.",
  );
  const delayP99 = gauge(
    n.delayP99,
    "Event loop delay, 99th percentile over the last interval, in seconds.",
  );
  const delayMax = gauge(
    n.delayMax,
    "Event loop delay, maximum over the last interval, in seconds.",
  );
  const utilization = gauge(
    n.utilization,
    "Event loop utilisation over the last interval, 0 to 1.",
  );
  const blockedCount = counter(
    n.blockedCount,
    "Times the event loop was blocked for at least the threshold.",
  );
  const blockedTime = counter(
    n.blockedTime,
    "Time the event loop spent blocked for at least the threshold, in seconds.",
  );
  const tasksPending = gauge(
    n.tasksPending,
    "loopscope tasks pending at the end of the last interval.",
  );
  const eventsDropped = counter(
    n.eventsDropped,
    "loopscope diagnostic events dropped by bounded queues.",
  );
  return {
    update(sample) {
      delayP50.set(sample.delayP50Ms / 1000);
      delayP90.set(sample.delayP90Ms / 1000);
      delayP99.set(sample.delayP99Ms / 1000);
      delayMax.set(sample.delayMaxMs / 1000);
      utilization.set(sample.utilization);
      blockedCount.inc(sample.blockedCount);
      blockedTime.inc(sample.blockedMs / 1000);
      if (sample.tasksPending !== undefined) tasksPending.set(sample.tasksPending);
      eventsDropped.inc(sample.eventsDropped);
    },
    unregister() {
      for (const name of Object.values(PROMETHEUS_NAMES)) registry.removeSingleMetric(name);
    },
  };
}

/** Options of {@link servePrometheus}. */
export interface PrometheusServerOptions {
  /** Interface to bind; loopback only unless `allowRemote`. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** When set, scrapes must send `Authorization: Bearer <token>` (`LOOPSCOPE_PROMETHEUS_TOKEN`). */
  readonly token?: string;
  /** Bind a non-loopback interface (`LOOPSCOPE_PROMETHEUS_ALLOW_REMOTE=1`). */
  readonly allowRemote?: boolean;
}

/** A running `/metrics` endpoint. */
export interface PrometheusServer {
  /** `http://host:port/metrics` once listening. Rejects if the port cannot be bound. */
  readonly url: Promise<string>;
  close(): Promise<void>;
}

/** The `/metrics` server cannot start. Code `LOOPSCOPE_ERR_PROMETHEUS_LISTEN`. */
export class PrometheusServerError extends LoopscopeError {}

/**
 * Serve a registry at `GET /metrics` on its own HTTP server, bound to loopback by default.
 * The server is unref'd (it never keeps the process alive); a failure to listen settles
 * `url` with a {@link PrometheusServerError} and is never thrown into the application.
 *
 * @throws TypeError naming the option when the host is not loopback and `allowRemote` is not set.
 */
export function servePrometheus(
  registry: Registry,
  options: PrometheusServerOptions,
): PrometheusServer {
  const host = options.host ?? "127.0.0.1";
  if (!options.allowRemote && !isLoopback(host)) {
    throw new TypeError(
      `servePrometheus: options.host must be a loopback address unless options.allowRemote is set, got ${JSON.stringify(host)}`,
    );
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new TypeError(
      `servePrometheus: options.port must be an integer 0..65535, got ${String(options.port)}`,
    );
  }
  const expected = options.token === undefined ? undefined : Buffer.from(`Bearer ${options.token}`);
  const server = createServer((request, response) => {
    void answer(registry, expected, request, response);
  });
  const url = new Promise<string>((resolve, reject) => {
    server.once("error", (cause) => {
      reject(
        new PrometheusServerError(
          "LOOPSCOPE_ERR_PROMETHEUS_LISTEN",
          `loopscope could not serve /metrics on ${host}:${options.port}: ${cause.message}`,
          { cause },
        ),
      );
    });
    server.listen(options.port, host, () => {
      const address = server.address() as AddressInfo;
      const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
      resolve(`http://${shownHost}:${address.port}/metrics`);
    });
  });
  // The caller may never look at `url`: a failed listen must not become an unhandled rejection.
  url.catch(() => undefined);
  server.unref();
  return {
    url,
    close: () => closeServer(server),
  };
}

async function answer(
  registry: Registry,
  expectedAuthorization: Buffer | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  try {
    const path = (request.url ?? "/").split("?")[0];
    if (path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (expectedAuthorization !== undefined && !authorized(request, expectedAuthorization)) {
      response
        .writeHead(401, {
          "www-authenticate": 'Bearer realm="loopscope"',
          "content-type": "text/plain",
        })
        .end("unauthorized\n");
      return;
    }
    const body = await registry.metrics();
    response.writeHead(200, { "content-type": registry.contentType }).end(body);
  } catch {
    if (!response.headersSent) response.writeHead(500).end();
    else response.destroy();
  }
}

function authorized(request: IncomingMessage, expected: Buffer): boolean {
  const given = Buffer.from(request.headers.authorization ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "::1";
}
