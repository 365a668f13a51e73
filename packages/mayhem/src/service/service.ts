import type { Logger } from "pino";
import type { Broker, BrokerMessage } from "../broker/index.js";
import type { MayhemConfig } from "../config/index.js";
import { flushLogger } from "../log/index.js";
import type { MayhemMessage } from "../message/index.js";
import { MalformedMessageError, decodeMessage } from "../message/index.js";
import type { Actions } from "./actions.js";
import { MockActions } from "./actions.js";
import type { CancellableWork, DeliveryHandler } from "./dispatcher.js";
import { DeliveryDispatcher } from "./dispatcher.js";
import { ShutdownError } from "./errors.js";
import type { HandleOutcome, HandlerContext } from "./handler.js";
import { handleTaskName, spawnHandler } from "./handler.js";
import { InjectedDefects } from "./inject.js";
import { Publisher } from "./publisher.js";
import { childRandom, createRandom } from "./random.js";
import type { Sleeper } from "./sleep.js";
import { timerSleeper } from "./sleep.js";
import type { ServiceStatsSnapshot } from "./stats.js";
import { ServiceStats } from "./stats.js";

/** How one delivery ended, as seen by {@link ServiceOptions.onOutcome}. */
export type DeliveryOutcome = HandleOutcome | "malformed";

export interface ServiceOptions {
  /** How the service waits. Default: real timers. The benchmark passes `yieldSleeper`. */
  readonly sleeper?: Sleeper;
  /** No per-message lines and no logging calls on the hot path (benchmark mode). */
  readonly quiet?: boolean;
  /** Replaces the mock save/restartHost. */
  readonly actions?: Actions;
  /** Replaces the whole per-delivery work (the benchmark's no-op ceiling). */
  readonly deliveryHandler?: DeliveryHandler;
  /** Whether to run the publisher. Default true. */
  readonly publish?: boolean;
  /** Called when a delivery's work is over (not with `deliveryHandler`). Must not throw. */
  readonly onOutcome?: (outcome: DeliveryOutcome, delivery: BrokerMessage) => void;
}

/** What a finished shutdown reports. */
export interface ShutdownResult {
  readonly reason: string;
  /** In-flight messages nacked for redelivery. */
  readonly nacked: number;
  /** The first error met while shutting down, if any (shutdown goes on regardless). */
  readonly error: unknown;
  readonly stats: ServiceStatsSnapshot;
}

/** A running service. */
export interface ServiceHandle {
  /** A fresh copy of the counters. */
  stats(): ServiceStatsSnapshot;
  /** Messages being handled now. */
  readonly inFlight: number;
  /** Resolves when the publisher has published its count (never, when unlimited). */
  readonly published: Promise<void>;
  /**
   * Graceful shutdown: stop publishing and pulling, nack every in-flight message,
   * abort the handlers, close the broker, flush the logs. Idempotent: a second
   * call joins the first. Never rejects.
   */
  shutdown(reason: string): Promise<ShutdownResult>;
  /** Resolves with the result once a shutdown has finished. */
  readonly closed: Promise<ShutdownResult>;
  /**
   * Resolves with the broker's error if the broker closes by itself while the service
   * runs (a NATS connection lost for good): nothing more can be pulled, so the process
   * binding shuts down and exits non-zero. Never settles otherwise.
   */
  readonly brokerLost: Promise<Error>;
}

const NEVER: Promise<never> = new Promise(() => {});

const MALFORMED: Promise<DeliveryOutcome> = Promise.resolve("malformed");

/**
 * Starts Mayhem Mandrill on `broker`: a publisher, and a dispatcher that pulls
 * and runs `handleMessage` for each delivery, as the loopscope task
 * `handle cattle-xxxx`. Malformed payloads are terminated (never redelivered),
 * counted and logged; the service goes on. Every random draw (publish pauses,
 * instance names, action latencies and failures, injected block lengths) comes
 * from one generator seeded by `config.seed`.
 *
 * The broker is the caller's: made by `createBroker(config)`, closed by shutdown.
 * Process-level wiring (signals, exception handler, exit code) is apart, in
 * `bindServiceToProcess`, so tests and the benchmark can run services in-process.
 */
export function runService(
  config: MayhemConfig,
  broker: Broker,
  logger: Logger,
  options: ServiceOptions = {},
): ServiceHandle {
  const stats = new ServiceStats();
  const sleeper = options.sleeper ?? timerSleeper;
  const random = createRandom(config.seed);
  const perMessageLog = options.quiet || !logger.isLevelEnabled("info") ? undefined : logger;
  const errorLog = options.quiet ? undefined : logger;
  const onOutcome = options.onOutcome;
  const actions =
    options.actions ??
    new MockActions({
      maxLatencyMs: config.actionMaxLatencyMs,
      saveFailureProbability: config.saveFailureProbability,
      restartFailureProbability: config.restartFailureProbability,
      random,
      sleeper,
    });
  // `--inject`: defects on purpose; undefined in a healthy service. Their own
  // stream, seeded from the service's, so their draws follow the seed alone.
  const defects =
    config.inject.length > 0
      ? new InjectedDefects(config.inject, childRandom(random), perMessageLog)
      : undefined;
  const ctx: HandlerContext = {
    actions: defects?.wrapActions(actions) ?? actions,
    defects,
    sleeper,
    stats,
    log: perMessageLog,
    errorLog,
    extendIntervalMs: config.extendIntervalMs,
    restartRetries: config.restartRetries,
    restartBackoffMs: config.restartBackoffMs,
    nackDelayMs: config.nackDelayMs,
  };

  // Not async: one promise less per message; the handler's own promise is returned.
  function handleDelivery(
    delivery: BrokerMessage,
    signal: AbortSignal,
  ): Promise<unknown> | CancellableWork {
    let message: MayhemMessage;
    try {
      message = decodeMessage(delivery.data, config.maxMessageBytes);
    } catch (error) {
      const reason = error instanceof MalformedMessageError ? error.reason : String(error);
      delivery.term(reason);
      stats.malformed++;
      errorLog?.warn(
        { brokerId: delivery.id, deliveryAttempt: delivery.deliveryAttempt, reason },
        `Terminated malformed message ${delivery.id}: ${reason}`,
      );
      return MALFORMED;
    }
    perMessageLog?.info(
      {
        messageId: message.messageId,
        brokerId: delivery.id,
        deliveryAttempt: delivery.deliveryAttempt,
        task: handleTaskName(message),
      },
      `Pulled ${message.instanceName}`,
    );
    // The task is returned to the dispatcher, which cancels it at shutdown and
    // reports the outcome it resolves to (one `then` per delivery, the dispatcher's).
    return spawnHandler(delivery, message, ctx, signal);
  }

  const dispatcher = new DeliveryDispatcher({
    broker,
    handler: options.deliveryHandler ?? handleDelivery,
    maxInFlight: config.maxInFlight,
    sleeper,
    stats,
    log: errorLog,
    // Our handler resolves to a DeliveryOutcome; a replacement's values mean nothing here.
    onSettled:
      onOutcome === undefined || options.deliveryHandler !== undefined
        ? undefined
        : (delivery, outcome) => onOutcome(outcome as DeliveryOutcome, delivery),
  });
  const publisher = new Publisher({
    broker,
    count: config.publishCount,
    intervalMs: config.publishIntervalMs,
    maxIntervalMs: config.publishMaxIntervalMs,
    random,
    sleeper,
    stats,
    log: perMessageLog,
  });

  dispatcher.start();
  const published = options.publish === false ? Promise.resolve() : publisher.start();

  let closing: Promise<ShutdownResult> | undefined;
  let markClosed: (result: ShutdownResult) => void = () => {};
  const closed = new Promise<ShutdownResult>((resolve) => {
    markClosed = resolve;
  });

  async function shutdownOnce(reason: string): Promise<ShutdownResult> {
    let firstError: unknown;
    const attempt = async (step: string, work: () => Promise<unknown>): Promise<void> => {
      try {
        await work();
      } catch (error) {
        firstError ??= error;
        logger.error({ err: error, step }, `Shutdown step failed: ${step}`);
      }
    };
    logger.info({ reason }, "Stopping the publisher and the consumer");
    await attempt("stop publisher", () => publisher.stop());
    await attempt("stop pulling", () => dispatcher.stopPulling());
    // Before nacking: on NATS, a message nacked while this instance's last fetch
    // is still open would come straight back to it, costing a delivery.
    await attempt("stop the broker's pulling", () => broker.stopPulling());
    const nacked = dispatcher.nackInFlight(new ShutdownError(reason));
    logger.info({ nacked }, `Nacking ${nacked} outstanding messages`);
    logger.info(`Cancelling ${nacked} outstanding handlers`);
    await attempt("wait for handlers", () => dispatcher.onIdle());
    logger.info(`Closing the ${broker.kind} broker`);
    await attempt("close broker", () => broker.close());
    const snapshot = stats.snapshot();
    logger.info({ stats: snapshot, broker: broker.stats() }, "Flushing metrics");
    logger.info("Successfully shutdown the Mayhem service.");
    await flushLogger(logger);
    const result: ShutdownResult = { reason, nacked, error: firstError, stats: snapshot };
    markClosed(result);
    return result;
  }

  const brokerLost = broker
    .closed()
    .then((outcome) => (outcome instanceof Error && closing === undefined ? outcome : NEVER));

  return {
    stats: () => stats.snapshot(),
    get inFlight() {
      return dispatcher.inFlight;
    },
    published,
    shutdown(reason) {
      closing ??= shutdownOnce(reason);
      return closing;
    },
    closed,
    brokerLost,
  };
}
