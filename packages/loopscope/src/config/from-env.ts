import { accessSync, constants, statSync } from "node:fs";
import { isIP } from "node:net";
import { dirname, resolve } from "node:path";
import { LoopscopeConfigError } from "./errors.js";

/** Everything the preload and `start()` need, read from the environment or passed in. */
export interface LoopscopeConfig {
  /** Debug mode (`LOOPSCOPE_DEBUG=1`): await lines of every pending async call, at a cost. */
  debug: boolean;
  /** Blocked/slow threshold in milliseconds (`LOOPSCOPE_SLOW_MS`, default 100). */
  slowMs: number;
  /** Append every event to this file as JSON lines (`LOOPSCOPE_EVENTS`). */
  eventsFile?: string;
  /** Export loop metrics to StatsD (`LOOPSCOPE_STATSD=host:port`, `LOOPSCOPE_STATSD_PREFIX`). */
  statsd?: { host: string; port: number; prefix: string };
  /** Serve Prometheus metrics (`LOOPSCOPE_PROMETHEUS=host:port`). */
  prometheus?: { host: string; port: number };
  /** Metrics interval in milliseconds (`LOOPSCOPE_METRICS_INTERVAL_MS`, default 10000). */
  metricsIntervalMs: number;
  /** Serve the inspector (`LOOPSCOPE_INSPECT=[host:]port`; port 0: a free one; host 127.0.0.1 unless given). */
  inspect?: { host: string; port: number };
  /** The inspector's token (`LOOPSCOPE_TOKEN`); random per start when not given. */
  inspectToken?: string;
  /** Allow the inspector's control actions, such as cancelling a task (`LOOPSCOPE_INSPECT_CONTROL=1`). */
  inspectControl?: boolean;
  /**
   * How many seconds the flight recorder keeps (`LOOPSCOPE_RECORDER_SECONDS`, 0 to
   * {@link MAX_RECORDER_SECONDS}); 0 turns it off. Default {@link DEFAULT_RECORDER_SECONDS}.
   */
  recorderSeconds?: number;
}

/** The flight recorder's window when `recorderSeconds` is not given. */
export const DEFAULT_RECORDER_SECONDS = 10;
/** The longest window `LOOPSCOPE_RECORDER_SECONDS` takes: an hour (the ring's bounds cap it anyway). */
export const MAX_RECORDER_SECONDS = 3_600;

/** Defaults, as `configFromEnv({})` returns them. */
export const DEFAULT_CONFIG: Readonly<LoopscopeConfig> = Object.freeze({
  debug: false,
  slowMs: 100,
  metricsIntervalMs: 10_000,
});

const DEFAULT_STATSD_PREFIX = "loopscope.";

/**
 * Read loopscope's configuration from environment variables.
 *
 * | variable | value | default |
 * | --- | --- | --- |
 * | `LOOPSCOPE_DEBUG` | `1`/`0`/`true`/`false` | `0` |
 * | `LOOPSCOPE_SLOW_MS` | positive integer | `100` |
 * | `LOOPSCOPE_EVENTS` | path of a file that can be appended to (created if missing) | none |
 * | `LOOPSCOPE_STATSD` | `host:port` | none |
 * | `LOOPSCOPE_STATSD_PREFIX` | string | `loopscope.` |
 * | `LOOPSCOPE_PROMETHEUS` | `host:port`, loopback host unless `LOOPSCOPE_PROMETHEUS_ALLOW_REMOTE=1` | none |
 * | `LOOPSCOPE_METRICS_INTERVAL_MS` | positive integer | `10000` |
 * | `LOOPSCOPE_INSPECT` | `[host:]port` (port 0: a free one), host `127.0.0.1` unless given | none |
 * | `LOOPSCOPE_TOKEN` | the inspector's token: 16 to 256 of `A-Z a-z 0-9 . _ ~ -` | random |
 * | `LOOPSCOPE_INSPECT_CONTROL` | `1`/`0`/`true`/`false`: allow cancelling tasks from the inspector | `0` |
 * | `LOOPSCOPE_RECORDER_SECONDS` | integer from 0 to 3600: the flight recorder's window; 0 turns it off | `10` |
 *
 * An empty variable counts as unset.
 *
 * @throws {@link LoopscopeConfigError} (code `LOOPSCOPE_ERR_CONFIG`) naming the variable
 *   and the bad value.
 * @example
 * ```ts
 * const config = configFromEnv({ LOOPSCOPE_SLOW_MS: "50" }); // config.slowMs === 50
 * ```
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): LoopscopeConfig {
  const config: LoopscopeConfig = {
    debug: readBoolean(env, "LOOPSCOPE_DEBUG") ?? DEFAULT_CONFIG.debug,
    slowMs: readPositiveInteger(env, "LOOPSCOPE_SLOW_MS") ?? DEFAULT_CONFIG.slowMs,
    metricsIntervalMs:
      readPositiveInteger(env, "LOOPSCOPE_METRICS_INTERVAL_MS") ?? DEFAULT_CONFIG.metricsIntervalMs,
  };
  const eventsFile = readWritableFile(env, "LOOPSCOPE_EVENTS");
  if (eventsFile !== undefined) config.eventsFile = eventsFile;
  const statsd = readHostPort(env, "LOOPSCOPE_STATSD");
  if (statsd !== undefined) {
    config.statsd = {
      ...statsd,
      prefix: read(env, "LOOPSCOPE_STATSD_PREFIX") ?? DEFAULT_STATSD_PREFIX,
    };
  }
  const prometheus = readHostPort(env, "LOOPSCOPE_PROMETHEUS");
  if (prometheus !== undefined) {
    const allowRemote = readBoolean(env, "LOOPSCOPE_PROMETHEUS_ALLOW_REMOTE") ?? false;
    if (!allowRemote && !isLoopback(prometheus.host)) {
      throw new LoopscopeConfigError(
        "LOOPSCOPE_PROMETHEUS",
        env.LOOPSCOPE_PROMETHEUS ?? "",
        "a loopback host:port (metrics would be open to the network; set LOOPSCOPE_PROMETHEUS_ALLOW_REMOTE=1 to allow it)",
      );
    }
    config.prometheus = prometheus;
  }
  const inspect = readInspectAddress(env, "LOOPSCOPE_INSPECT");
  if (inspect !== undefined) config.inspect = inspect;
  const token = read(env, "LOOPSCOPE_TOKEN");
  if (token !== undefined) {
    if (!TOKEN_PATTERN.test(token)) {
      throw new LoopscopeConfigError(
        "LOOPSCOPE_TOKEN",
        "(hidden)",
        "16 to 256 characters of A-Z, a-z, 0-9, '.', '_', '~' and '-'",
      );
    }
    config.inspectToken = token;
  }
  const control = readBoolean(env, "LOOPSCOPE_INSPECT_CONTROL");
  if (control !== undefined) config.inspectControl = control;
  const recorderSeconds = readInteger(env, "LOOPSCOPE_RECORDER_SECONDS", 0, MAX_RECORDER_SECONDS);
  if (recorderSeconds !== undefined) config.recorderSeconds = recorderSeconds;
  return config;
}

/** What a token may be: it travels in a cookie, a header and a URL, unescaped. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,256}$/;

/** `port`, `host:port` or `[ipv6]:port`; port 0 to 65535; the host defaults to 127.0.0.1. */
function readInspectAddress(
  env: NodeJS.ProcessEnv,
  name: string,
): { host: string; port: number } | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const match = /^(?:(?:\[([^\]]+)\]|([^:[\]]+)):)?(\d+)$/.exec(value.trim());
  const host = match?.[1] ?? match?.[2] ?? "127.0.0.1";
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port > 65_535) {
    throw new LoopscopeConfigError(
      name,
      value,
      "[host:]port with a port from 0 (any free one) to 65535",
    );
  }
  return { host, port };
}

function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value;
}

function readBoolean(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  switch (value.trim().toLowerCase()) {
    case "1":
    case "true":
      return true;
    case "0":
    case "false":
      return false;
    default:
      throw new LoopscopeConfigError(name, value, "1, 0, true or false");
  }
}

function readPositiveInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const parsed = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(parsed) || parsed < 1) {
    throw new LoopscopeConfigError(name, value, "a positive integer");
  }
  return parsed;
}

/** An integer from `min` to `max`. */
function readInteger(
  env: NodeJS.ProcessEnv,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const parsed = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || parsed < min || parsed > max) {
    throw new LoopscopeConfigError(name, value, `an integer from ${min} to ${max}`);
  }
  return parsed;
}

/**
 * A path loopscope can append to: an existing writable file, or a new file in a writable
 * folder. Checked up front because events lost to a typo would only show when needed most.
 */
function readWritableFile(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const path = resolve(value);
  let stats;
  try {
    stats = statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    throw new LoopscopeConfigError(name, value, `a writable file path (${errorCode(err)})`);
  }
  if (stats?.isDirectory() === true) {
    throw new LoopscopeConfigError(name, value, "a file path, not a folder");
  }
  try {
    accessSync(stats === undefined ? dirname(path) : path, constants.W_OK);
  } catch (err) {
    const what = stats === undefined ? "in an existing, writable folder" : "writable";
    throw new LoopscopeConfigError(name, value, `a file path ${what} (${errorCode(err)})`);
  }
  return value;
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

function readHostPort(
  env: NodeJS.ProcessEnv,
  name: string,
): { host: string; port: number } | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  // `host:port`, `[::1]:port`; the port is what follows the last colon.
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(value.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new LoopscopeConfigError(name, value, "host:port with a port from 1 to 65535");
  }
  return { host, port };
}

/** Whether `host` names this machine's loopback interface only. */
export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1";
  return false;
}
