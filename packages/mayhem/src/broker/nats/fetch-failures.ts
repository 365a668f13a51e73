import type { NatsBrokerLogger } from "./options.js";

/** While fetches keep failing, how often a reminder is logged. */
const REMINDER_MS = 60_000;

/**
 * Logs a run of failed fetches the way the connection's state is logged: once when
 * it starts, then at most a reminder a minute while it lasts, and once when a fetch
 * works again. The pump retries every second, and a line per retry would bury the
 * one that says what went wrong (a deleted consumer, JetStream not ready after a
 * server restart).
 */
export class FetchFailureLog {
  readonly #logger: NatsBrokerLogger;
  #failures = 0;
  #loggedAt = 0;

  constructor(logger: NatsBrokerLogger) {
    this.#logger = logger;
  }

  failed(error: unknown): void {
    this.#failures++;
    const now = performance.now();
    if (this.#failures === 1) {
      this.#loggedAt = now;
      this.#logger.error(
        { err: error },
        "nats: fetch failed; retrying every second, logged again once a minute while it lasts",
      );
    } else if (now - this.#loggedAt >= REMINDER_MS) {
      this.#loggedAt = now;
      this.#logger.error(
        { err: error, failures: this.#failures },
        `nats: fetches still failing (${this.#failures} in a row); retrying`,
      );
    }
  }

  /** A fetch ended normally: closes a run of failures, if there was one. */
  succeeded(): void {
    if (this.#failures === 0) return;
    this.#logger.info(
      { failures: this.#failures },
      `nats: fetching again after ${this.#failures} failed ${this.#failures === 1 ? "fetch" : "fetches"}`,
    );
    this.#failures = 0;
  }
}
