import type { Logger } from "pino";
import type { Broker } from "../broker/index.js";
import { createMessage, encodeMessage } from "../message/index.js";
import type { Sleeper } from "./sleep.js";
import type { ServiceStats } from "./stats.js";

export interface PublisherOptions {
  readonly broker: Broker;
  /** Stop after this many messages. Default: publish until stopped. */
  readonly count?: number;
  /** A fixed pause between messages. Default: random, see `maxIntervalMs`. */
  readonly intervalMs?: number;
  /** Without `intervalMs`, pause a random 0..maxIntervalMs (the article: 0–1 s). Default 1000. */
  readonly maxIntervalMs?: number;
  readonly random: () => number;
  readonly sleeper: Sleeper;
  readonly stats: ServiceStats;
  readonly log: Logger | undefined;
  /** Backoff after a failed publish. Default 100 ms. */
  readonly retryMs?: number;
}

/** Publishes `cattle-xxxx` messages at a rate or up to a count, as the article's `publish`. */
export class Publisher {
  readonly #options: PublisherOptions;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: PublisherOptions) {
    const { count, intervalMs, maxIntervalMs } = options;
    if (count !== undefined && !(Number.isInteger(count) && count >= 0)) {
      throw new TypeError(`count must be an integer >= 0, got ${String(count)}`);
    }
    if (intervalMs !== undefined && !(intervalMs >= 0 && Number.isFinite(intervalMs))) {
      throw new TypeError(`intervalMs must be a finite number >= 0, got ${String(intervalMs)}`);
    }
    if (maxIntervalMs !== undefined && !(maxIntervalMs >= 0 && Number.isFinite(maxIntervalMs))) {
      throw new TypeError(
        `maxIntervalMs must be a finite number >= 0, got ${String(maxIntervalMs)}`,
      );
    }
    this.#options = options;
  }

  /** Starts publishing; the returned promise resolves when the count is reached or it is stopped. */
  start(): Promise<void> {
    this.#loop ??= this.#run();
    return this.#loop;
  }

  /** Stops publishing (a pending pause ends at once); resolves when the loop has exited. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  #pause(): number {
    const { intervalMs, maxIntervalMs = 1000, random } = this.#options;
    return intervalMs ?? random() * maxIntervalMs;
  }

  async #run(): Promise<void> {
    const { broker, count, random, sleeper, stats, log, retryMs = 100 } = this.#options;
    const stop = this.#stop.signal;
    let published = 0;
    while (!stop.aborted && (count === undefined || published < count)) {
      const message = createMessage(random);
      try {
        await broker.publish(encodeMessage(message));
        published++;
        stats.published++;
        log?.debug(
          { messageId: message.messageId, instanceName: message.instanceName },
          `Published ${message.instanceName}`,
        );
      } catch (error) {
        if (stop.aborted) break;
        stats.publishErrors++;
        log?.error({ err: error, retryInMs: retryMs }, "Publish failed; retrying");
        await sleeper.sleepOrWake(retryMs, stop);
        continue;
      }
      // `sleepOrWake` never rejects: the loop's condition reads the stop signal.
      await sleeper.sleepOrWake(this.#pause(), stop);
    }
  }
}
