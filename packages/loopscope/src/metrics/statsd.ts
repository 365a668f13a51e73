import type { StatsD } from "hot-shots";
import { STATSD_NAMES } from "./names.js";
import { loadOptionalPackage } from "./optional-package.js";
import type { LoopMetricsSample } from "./sample.js";

/** Where and how to send StatsD metrics (`LOOPSCOPE_STATSD=host:port`, `LOOPSCOPE_STATSD_PREFIX`). */
export interface StatsdTarget {
  readonly host: string;
  readonly port: number;
  /** Prepended to every name; default `loopscope.`. */
  readonly prefix?: string;
}

/** Sends one interval's sample to StatsD. */
export interface StatsdExporter {
  send(sample: LoopMetricsSample): void;
  close(): Promise<void>;
}

/**
 * A StatsD exporter over UDP (hot-shots), the twin of `aiodebug.monitor_loop_lag(statsd)`.
 * Delays are gauges in milliseconds, utilisation a 0..1 gauge, blocks and dropped events
 * counters incremented by the interval's count. Errors go to `onError`, never to the
 * application; the socket is unref'd.
 *
 * @param client - an application's own hot-shots client instead of a new one (not closed
 *   by {@link StatsdExporter.close}).
 * @throws {@link MissingPackageError} when a new client is asked for and `hot-shots` is
 *   not installed.
 */
export function createStatsdExporter(
  target: StatsdTarget | { readonly client: StatsD; readonly prefix?: string },
  onError: (error: Error) => void,
): StatsdExporter {
  const ownClient = !("client" in target);
  const prefix = target.prefix ?? "loopscope.";
  const client = "client" in target ? target.client : newStatsdClient(target, prefix, onError);
  const name = (key: keyof typeof STATSD_NAMES): string =>
    ownClient ? STATSD_NAMES[key] : `${prefix}${STATSD_NAMES[key]}`;
  const guard = (fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      onError(error instanceof Error ? error : new Error(String(error)));
    }
  };
  return {
    send(sample) {
      guard(() => {
        client.gauge(name("delayP50"), round(sample.delayP50Ms));
        client.gauge(name("delayP90"), round(sample.delayP90Ms));
        client.gauge(name("delayP99"), round(sample.delayP99Ms));
        client.gauge(name("delayMax"), round(sample.delayMaxMs));
        client.gauge(name("utilization"), round(sample.utilization, 4));
        client.increment(name("blockedCount"), sample.blockedCount);
        client.increment(name("blockedTime"), round(sample.blockedMs));
        if (sample.tasksPending !== undefined)
          client.gauge(name("tasksPending"), sample.tasksPending);
        client.increment(name("eventsDropped"), sample.eventsDropped);
        // Send the interval's datagram now rather than on hot-shots' buffer timer.
        client.flush();
      });
    },
    close() {
      if (!ownClient) return Promise.resolve();
      return new Promise((resolve) => {
        guard(() =>
          client.close((error) => {
            if (error !== undefined && error !== null) onError(error);
            resolve();
          }),
        );
      });
    },
  };
}

function newStatsdClient(
  target: StatsdTarget,
  prefix: string,
  onError: (error: Error) => void,
): StatsD {
  const { StatsD } = loadOptionalPackage("hot-shots");
  return new StatsD({
    host: target.host,
    port: target.port,
    prefix,
    errorHandler: onError,
    // One datagram per interval rather than one per metric; flushed right away by send().
    maxBufferSize: 1400,
  });
}

function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
