import type { Logger } from "pino";
import type { BrokerMessage } from "../broker/types.js";
import type { MayhemMessage } from "../message/index.js";
import { hostnameOf } from "../message/index.js";
import type { Actions } from "./actions.js";
import { RestartFailedError } from "./errors.js";
import type { CancelSignal, Sleeper } from "./sleep.js";
import { Latch } from "./sleep.js";
import type { ServiceStats } from "./stats.js";

/** Everything a handler needs besides the message; one shared object per service. */
export interface HandlerContext {
  readonly actions: Actions;
  readonly sleeper: Sleeper;
  readonly stats: ServiceStats;
  /** Per-message info lines go here; `undefined` keeps the hot path free of logging calls. */
  readonly log: Logger | undefined;
  /** Errors and warnings go here even when per-message lines are off. */
  readonly errorLog: Logger | undefined;
  /** Time between ack-deadline extensions; keep it well below the broker's ack deadline. */
  readonly extendIntervalMs: number;
  /** How many times a failed restart is retried (so up to 1 + restartRetries attempts). */
  readonly restartRetries: number;
  /** Backoff before retry k (0-based) is restartBackoffMs * 2^k. */
  readonly restartBackoffMs: number;
  /** Delay the broker waits before redelivering a nacked message. */
  readonly nackDelayMs: number;
}

/** How one delivery ended. `aborted`: shutdown took it over (and nacked it). */
export type HandleOutcome = "acked" | "nacked" | "aborted";

// A constant reason: stopping the extend loop is the normal path of every
// message, so it must not capture a stack (as a default AbortError would).
const WORK_DONE = Object.freeze(new Error("work done"));

/**
 * Keeps the lease alive while the message is worked on: every
 * `extendIntervalMs` it extends the ack deadline, until `done` aborts.
 */
export async function extendDeadlineUntilDone(
  delivery: BrokerMessage,
  message: MayhemMessage,
  ctx: HandlerContext,
  done: CancelSignal,
): Promise<void> {
  for (;;) {
    try {
      await ctx.sleeper.sleep(ctx.extendIntervalMs, done);
    } catch {
      return;
    }
    delivery.extendDeadline();
    ctx.stats.extended++;
    ctx.log?.info(
      { messageId: message.messageId, instanceName: message.instanceName },
      `Extended deadline by ${ctx.extendIntervalMs} ms for ${message.instanceName}`,
    );
  }
}

/** restartHost, retrying RestartFailed with exponential backoff up to the limit. */
export async function restartWithRetry(
  message: MayhemMessage,
  ctx: HandlerContext,
  signal: AbortSignal,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await ctx.actions.restartHost(message, signal);
      ctx.stats.restarted++;
      ctx.log?.info({ messageId: message.messageId }, `Restarted ${hostnameOf(message)}`);
      return;
    } catch (error) {
      if (
        !(error instanceof RestartFailedError) ||
        attempt >= ctx.restartRetries ||
        signal.aborted
      ) {
        throw error;
      }
      ctx.stats.restartRetries++;
      ctx.errorLog?.warn(
        { messageId: message.messageId, attempt: attempt + 1 },
        `Retrying for failure to restart: ${hostnameOf(message)}`,
      );
      await ctx.sleeper.sleep(ctx.restartBackoffMs * 2 ** attempt, signal);
    }
  }
}

async function saveAndLog(
  message: MayhemMessage,
  ctx: HandlerContext,
  signal: AbortSignal,
): Promise<void> {
  await ctx.actions.save(message, signal);
  ctx.log?.info({ messageId: message.messageId }, `Saved ${message.instanceName} into database`);
}

/** Counts and logs the outcome of save and restart; true when both succeeded. */
function reportResults(
  results: readonly PromiseSettledResult<void>[],
  message: MayhemMessage,
  ctx: HandlerContext,
): boolean {
  let ok = true;
  for (let i = 0; i < results.length; i++) {
    const result = results[i]!;
    if (result.status === "fulfilled") {
      if (i === 0) ctx.stats.saved++;
      continue;
    }
    ok = false;
    const error = result.reason as Error;
    if (error instanceof RestartFailedError) {
      ctx.stats.restartFailures++;
      ctx.errorLog?.error(
        { messageId: message.messageId, code: error.code },
        `Giving up restarting ${error.hostname} after ${ctx.restartRetries + 1} attempts`,
      );
    } else {
      if (i === 0) ctx.stats.saveFailures++;
      ctx.errorLog?.error(
        { messageId: message.messageId, code: (error as { code?: unknown }).code },
        `Handling general error: ${error?.message ?? String(error)}`,
      );
    }
  }
  return ok;
}

/**
 * The unit of work for one message (the article's `handle_message`): extends
 * the ack deadline while it works, runs save and restartHost concurrently
 * (`Promise.allSettled`, like `gather(return_exceptions=True)`), logs each
 * failure, then acks if both succeeded or nacks for redelivery.
 *
 * When `signal` aborts (shutdown), the sleeps reject at once and the handler
 * returns `aborted` without settling: the consumer has already nacked the
 * message. It never rejects.
 */
export async function handleMessage(
  delivery: BrokerMessage,
  message: MayhemMessage,
  ctx: HandlerContext,
  signal: AbortSignal,
): Promise<HandleOutcome> {
  const workDone = new Latch();
  const extending = extendDeadlineUntilDone(delivery, message, ctx, workDone);
  let results: PromiseSettledResult<void>[];
  try {
    results = await Promise.allSettled([
      // The wrapper only logs "Saved" as it happens; without logging, skip its promise.
      ctx.log === undefined ? ctx.actions.save(message, signal) : saveAndLog(message, ctx, signal),
      restartWithRetry(message, ctx, signal),
    ]);
  } finally {
    workDone.abort(WORK_DONE);
  }
  await extending;
  if (signal.aborted) {
    ctx.stats.aborted++;
    return "aborted";
  }
  if (reportResults(results, message, ctx)) {
    delivery.ack();
    ctx.stats.acked++;
    ctx.log?.info(
      { messageId: message.messageId, deliveryAttempt: delivery.deliveryAttempt },
      `Done. Acked ${message.instanceName}`,
    );
    return "acked";
  }
  delivery.nack(ctx.nackDelayMs);
  ctx.stats.nacked++;
  ctx.log?.info(
    { messageId: message.messageId, deliveryAttempt: delivery.deliveryAttempt },
    `Nacked ${message.instanceName} for redelivery`,
  );
  return "nacked";
}
