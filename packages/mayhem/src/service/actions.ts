import type { MayhemMessage } from "../message/index.js";
import { hostnameOf } from "../message/index.js";
import { RestartFailedError, SaveFailedError } from "./errors.js";
import type { CancelSignal, Sleeper } from "./sleep.js";
import { throwIfAborted } from "./sleep.js";

/** The two things Mayhem does per message. Both honour `signal` promptly. */
export interface Actions {
  /** Saves the message into the (pretend) database. */
  save(message: MayhemMessage, signal: CancelSignal): Promise<void>;
  /** Restarts the host; throws {@link RestartFailedError} when it fails. */
  restartHost(message: MayhemMessage, signal: CancelSignal): Promise<void>;
}

export interface MockActionsOptions {
  /** Each action takes a random 0..maxLatencyMs. Default 1000 (the article's). */
  readonly maxLatencyMs?: number;
  /** Probability that save fails. Default 0.25. */
  readonly saveFailureProbability?: number;
  /** Probability that one restart attempt fails. Default 0.25. */
  readonly restartFailureProbability?: number;
  /** Source of randomness in [0, 1); seed it for reproducible runs. */
  readonly random: () => number;
  readonly sleeper: Sleeper;
}

/**
 * Builds a simulated failure without capturing a stack: its stack would only
 * show the mock's own frames, and capturing one costs more than the rest of
 * the message's handling (a quarter of all actions fail).
 */
function withoutStack<E extends Error>(create: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return create();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function probability(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) {
    throw new TypeError(`${name} must be a number in [0, 1], got ${String(value)}`);
  }
  return value;
}

/**
 * Pretend database and pretend hosts: random latency, random failures, as in
 * the article. Like the reference, each action sleeps first, then draws.
 */
export class MockActions implements Actions {
  readonly #maxLatencyMs: number;
  readonly #saveFailure: number;
  readonly #restartFailure: number;
  readonly #random: () => number;
  readonly #sleeper: Sleeper;

  constructor(options: MockActionsOptions) {
    const maxLatencyMs = options.maxLatencyMs ?? 1000;
    if (!(maxLatencyMs >= 0 && Number.isFinite(maxLatencyMs))) {
      throw new TypeError(`maxLatencyMs must be a finite number >= 0, got ${String(maxLatencyMs)}`);
    }
    this.#maxLatencyMs = maxLatencyMs;
    this.#saveFailure = probability(
      "saveFailureProbability",
      options.saveFailureProbability ?? 0.25,
    );
    this.#restartFailure = probability(
      "restartFailureProbability",
      options.restartFailureProbability ?? 0.25,
    );
    this.#random = options.random;
    this.#sleeper = options.sleeper;
  }

  async save(message: MayhemMessage, signal: CancelSignal): Promise<void> {
    // `sleepOrWake` rather than `sleep`: one shared promise per turn when benchmarking.
    await this.#sleeper.sleepOrWake(this.#random() * this.#maxLatencyMs, signal);
    throwIfAborted(signal);
    if (this.#random() < this.#saveFailure) {
      throw withoutStack(() => new SaveFailedError(message.instanceName));
    }
  }

  async restartHost(message: MayhemMessage, signal: CancelSignal): Promise<void> {
    // `sleepOrWake` rather than `sleep`: one shared promise per turn when benchmarking.
    await this.#sleeper.sleepOrWake(this.#random() * this.#maxLatencyMs, signal);
    throwIfAborted(signal);
    if (this.#random() < this.#restartFailure) {
      throw withoutStack(() => new RestartFailedError(hostnameOf(message)));
    }
  }
}
