import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import type { Broker, BrokerMessage } from "../broker/index.js";
import { InFlightTable } from "./in-flight.js";
import type { Sleeper } from "./sleep.js";
import type { ServiceStats } from "./stats.js";

/**
 * Work started for one delivery that can be cancelled on its own: a loopscope
 * `Task` is one. Shutdown cancels it (after nacking its delivery).
 */
export interface CancellableWork {
  readonly promise: Promise<unknown>;
  cancel(reason?: unknown): void;
}

/**
 * Works on one delivery. It must settle the delivery itself (ack, nack or
 * term) unless `signal` aborts, in which case the dispatcher has nacked it.
 * It should not reject; if it does, the rejection is logged and the
 * delivery is left to its ack deadline. It may return its work as a
 * {@link CancellableWork} (a task), which shutdown then cancels.
 */
export type DeliveryHandler = (
  delivery: BrokerMessage,
  signal: AbortSignal,
) => Promise<unknown> | CancellableWork;

export interface DeliveryDispatcherOptions {
  readonly broker: Broker;
  readonly handler: DeliveryHandler;
  /** Most deliveries worked on at once; pulling waits for a free slot beyond it. Default 1000. */
  readonly maxInFlight?: number;
  /** Backoff after a failed pull, doubled per consecutive failure up to 30 s. Default 100. */
  readonly pullRetryMs?: number;
  readonly sleeper: Sleeper;
  readonly stats: ServiceStats;
  readonly log: Logger | undefined;
  /**
   * Called once a handler's work is over and its slot is free, with what its
   * promise resolved to (not called when it rejects). Must not throw.
   */
  readonly onSettled?: ((delivery: BrokerMessage, value: unknown) => void) | undefined;
}

const MAX_PULL_BACKOFF_MS = 30_000;

/**
 * The service's side of consuming: pulls from the broker continuously and
 * dispatches each delivery to a handler without awaiting it,
 * so pulling never waits for a handler. At most `maxInFlight` handlers run at
 * once: at capacity the pull loop waits for the next completion (backpressure,
 * no polling). Shutdown nacks every in-flight delivery, then aborts the one
 * AbortController shared by all handlers and cancels each handler's task.
 */
export class DeliveryDispatcher {
  readonly #broker: Broker;
  readonly #handler: DeliveryHandler;
  readonly #maxInFlight: number;
  readonly #pullRetryMs: number;
  readonly #sleeper: Sleeper;
  readonly #stats: ServiceStats;
  readonly #log: Logger | undefined;
  readonly #onSettled: ((delivery: BrokerMessage, value: unknown) => void) | undefined;
  /** Each in-flight delivery, with its task when the handler returned one. */
  readonly #inFlight = new InFlightTable();
  readonly #stopPulling = new AbortController();
  readonly #abortHandlers = new AbortController();
  #loop: Promise<void> | undefined;
  #slotFreed: (() => void) | undefined;
  #idle: (() => void) | undefined;

  constructor(options: DeliveryDispatcherOptions) {
    const maxInFlight = options.maxInFlight ?? 1000;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new TypeError(`maxInFlight must be an integer >= 1, got ${String(maxInFlight)}`);
    }
    this.#broker = options.broker;
    this.#handler = options.handler;
    this.#maxInFlight = maxInFlight;
    this.#pullRetryMs = options.pullRetryMs ?? 100;
    this.#sleeper = options.sleeper;
    this.#stats = options.stats;
    this.#log = options.log;
    this.#onSettled = options.onSettled;
    // Every pending sleep of every handler listens on this signal.
    setMaxListeners(0, this.#abortHandlers.signal, this.#stopPulling.signal);
  }

  /** Deliveries being worked on now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Whether the pull loop is running. */
  get pulling(): boolean {
    return this.#loop !== undefined && !this.#stopPulling.signal.aborted;
  }

  /**
   * Starts the pull loop. Idempotent: a second call leaves the running loop
   * alone; after {@link stopPulling}, the loop exits at once.
   */
  start(): void {
    this.#loop ??= this.#pullLoop();
  }

  /** Stops pulling (a pending pull resolves empty); resolves when the loop has exited. */
  async stopPulling(): Promise<void> {
    this.#stopPulling.abort();
    this.#slotFreed?.();
    await this.#loop;
  }

  /**
   * Nacks every in-flight delivery (redelivery after `delayMs`), aborts the
   * handlers' shared signal and cancels each handler's task with `reason`.
   * Returns how many were nacked. Call after {@link stopPulling}, so no new
   * delivery starts meanwhile.
   */
  nackInFlight(reason: Error, delayMs = 0): number {
    const entries = this.#inFlight.entries();
    // Nack before aborting: an aborted handler never settles, so each delivery is settled once.
    for (const [delivery] of entries) delivery.nack(delayMs);
    this.#stats.nackedAtShutdown += entries.length;
    // The shared signal first: a cancelled task reads it to know the dispatcher nacked already.
    this.#abortHandlers.abort(reason);
    for (const [, work] of entries) work?.cancel(reason);
    return entries.length;
  }

  /** Resolves when no handler is running. */
  onIdle(): Promise<void> {
    if (this.#inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#idle;
      this.#idle = previous === undefined ? resolve : () => (previous(), resolve());
    });
  }

  async #pullLoop(): Promise<void> {
    const stop = this.#stopPulling.signal;
    let failures = 0;
    while (!stop.aborted) {
      const room = this.#maxInFlight - this.#inFlight.size;
      if (room <= 0) {
        await new Promise<void>((resolve) => {
          this.#slotFreed = resolve;
        });
        this.#slotFreed = undefined;
        continue;
      }
      let batch: BrokerMessage[];
      try {
        batch = await this.#broker.pull({ max: room, signal: stop });
        failures = 0;
      } catch (error) {
        if (stop.aborted) break;
        this.#stats.pullErrors++;
        const backoff = Math.min(this.#pullRetryMs * 2 ** failures++, MAX_PULL_BACKOFF_MS);
        this.#log?.error({ err: error, retryInMs: backoff }, "Pull failed; retrying");
        try {
          await this.#sleeper.sleep(backoff, stop);
        } catch {
          break;
        }
        continue;
      }
      for (let i = 0; i < batch.length; i++) this.#dispatch(batch[i]!);
    }
  }

  #dispatch(delivery: BrokerMessage): void {
    this.#stats.pulled++;
    const work = this.#handler(delivery, this.#abortHandlers.signal);
    const isPromise = work instanceof Promise;
    const slot = this.#inFlight.add(delivery, isPromise ? undefined : work);
    (isPromise ? work : work.promise).then(
      (value) => this.#finish(slot, value),
      (error: unknown) => {
        this.#log?.error({ err: error, brokerId: delivery.id }, "Handler failed unexpectedly");
        this.#finish(slot, undefined, false);
      },
    );
  }

  #finish(slot: number, value: unknown, fulfilled = true): void {
    const delivery = this.#inFlight.delivery(slot)!;
    this.#inFlight.remove(slot);
    this.#slotFreed?.();
    if (this.#idle !== undefined && this.#inFlight.size === 0) {
      const idle = this.#idle;
      this.#idle = undefined;
      idle();
    }
    if (fulfilled) this.#onSettled?.(delivery, value);
  }
}
