import type { Logger } from "pino";
import type { Task } from "loopscope";
import { spawn } from "loopscope";
import type { BrokerMessage } from "../broker/index.js";
import type { MayhemMessage } from "../message/index.js";
import { hostnameOf } from "../message/index.js";
import type { Actions } from "./actions.js";
import { RestartFailedError } from "./errors.js";
import type { InjectedDefects } from "./inject.js";
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
  /** Defects injected on purpose (`--inject`); `undefined` in a healthy service. */
  readonly defects?: InjectedDefects | undefined;
}

/** How one delivery ended. `aborted`: shutdown took it over (and nacked it). */
export type HandleOutcome = "acked" | "nacked" | "aborted";

// A constant reason: stopping the extend loop is the normal path of every
// message, so it must not capture a stack (as a default AbortError would).
const WORK_DONE = Object.freeze(new Error("work done"));

/**
 * A failed action, as its settled promise carries it: any rejection reason,
 * even `undefined`, is wrapped, so success can be `undefined` and cost no
 * object (three actions in four succeed).
 */
class ActionFailure {
  constructor(readonly reason: unknown) {}
}

/** What an action's promise became once settled: `undefined` when it fulfilled. */
type ActionResult = ActionFailure | undefined;

// Module-level, so that settling an action's promise allocates no closure.
const succeeded = (): undefined => undefined;
const failed = (reason: unknown): ActionFailure => new ActionFailure(reason);

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
    await ctx.sleeper.sleepOrWake(ctx.extendIntervalMs, done);
    if (done.aborted) return;
    delivery.extendDeadline();
    ctx.stats.extended++;
    ctx.log?.info(
      { messageId: message.messageId, instanceName: message.instanceName },
      `Extended deadline by ${ctx.extendIntervalMs} ms for ${message.instanceName}`,
    );
  }
}

/**
 * restartHost, retrying RestartFailed with exponential backoff up to the
 * limit. Resolves to the last failure, `undefined` on success; never rejects,
 * so the cleanup can await it after save without an unhandled rejection between.
 */
async function restartOutcome(
  message: MayhemMessage,
  ctx: HandlerContext,
  signal: CancelSignal,
): Promise<ActionResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      await ctx.actions.restartHost(message, signal);
      ctx.stats.restarted++;
      ctx.log?.info({ messageId: message.messageId }, `Restarted ${hostnameOf(message)}`);
      return undefined;
    } catch (error) {
      if (
        !(error instanceof RestartFailedError) ||
        attempt >= ctx.restartRetries ||
        signal.aborted
      ) {
        return new ActionFailure(error);
      }
      ctx.stats.restartRetries++;
      ctx.errorLog?.warn(
        { messageId: message.messageId, attempt: attempt + 1 },
        `Retrying for failure to restart: ${hostnameOf(message)}`,
      );
    }
    await ctx.sleeper.sleepOrWake(ctx.restartBackoffMs * 2 ** attempt, signal);
    if (signal.aborted) return new ActionFailure(signal.reason);
  }
}

/**
 * save, settled into its {@link ActionResult}; never rejects (see
 * restartOutcome). Without per-message logging, a `then` with module-level
 * callbacks is all it costs: no async function, no closure.
 */
function saveOutcome(
  message: MayhemMessage,
  ctx: HandlerContext,
  signal: CancelSignal,
): Promise<ActionResult> {
  let saving: Promise<ActionResult>;
  try {
    saving = ctx.actions.save(message, signal).then(succeeded, failed);
  } catch (error) {
    // An Actions that throws instead of rejecting fails the same way.
    saving = Promise.resolve(new ActionFailure(error));
  }
  return ctx.log === undefined ? saving : saving.then((result) => logSaved(result, message, ctx));
}

function logSaved(result: ActionResult, message: MayhemMessage, ctx: HandlerContext): ActionResult {
  if (result === undefined) {
    ctx.log?.info({ messageId: message.messageId }, `Saved ${message.instanceName} into database`);
  }
  return result;
}

/** Counts and logs the outcome of save and restart; true when both succeeded. */
function reportResults(
  saved: ActionResult,
  restarted: ActionResult,
  message: MayhemMessage,
  ctx: HandlerContext,
): boolean {
  if (saved === undefined) ctx.stats.saved++;
  else reportFailure(saved.reason, message, ctx, true);
  if (restarted !== undefined) reportFailure(restarted.reason, message, ctx, false);
  return saved === undefined && restarted === undefined;
}

function reportFailure(
  reason: unknown,
  message: MayhemMessage,
  ctx: HandlerContext,
  ofSave: boolean,
): void {
  const error = reason as Error | undefined;
  if (error instanceof RestartFailedError) {
    ctx.stats.restartFailures++;
    ctx.errorLog?.error(
      { messageId: message.messageId, code: error.code },
      `Giving up restarting ${error.hostname} after ${ctx.restartRetries + 1} attempts`,
    );
    return;
  }
  if (ofSave) ctx.stats.saveFailures++;
  ctx.errorLog?.error(
    { messageId: message.messageId, code: (error as { code?: unknown } | undefined)?.code },
    `Handling general error: ${error?.message ?? String(error)}`,
  );
}

/**
 * The unit of work for one message (the article's `handle_message`), as three
 * named loopscope tasks, so a task dump shows where each message waits:
 *
 * - `extend cattle-xxxx` extends the ack deadline every `extendIntervalMs` until
 *   the work is done;
 * - the work itself starts here: save and restartHost concurrently (like
 *   `gather(return_exceptions=True)`);
 * - `cleanup cattle-xxxx` waits for both, stops the extend loop, logs each
 *   failure, then acks if both succeeded or nacks for redelivery.
 *
 * Call it inside the message's task (see {@link spawnHandler}): the two children
 * attach to the task running now. Its promise is the cleanup task's.
 *
 * When `signal` aborts, the sleeps end at once and the outcome is `aborted`.
 * If `shutdown` aborted too, the dispatcher has already nacked the message;
 * otherwise the task alone was cancelled (loopscope's `cancelTask`) and the
 * cleanup nacks it for immediate redelivery, as shutdown does. It never rejects.
 *
 * @param signal - the message's own cancellation (its task's).
 * @param shutdown - the service's shutdown signal; defaults to `signal`.
 */
export function handleMessage(
  delivery: BrokerMessage,
  message: MayhemMessage,
  ctx: HandlerContext,
  signal: CancelSignal,
  shutdown: CancelSignal = signal,
): Promise<HandleOutcome> {
  const name = message.instanceName;
  const workDone = new Latch();
  const extending = spawn(`extend ${name}`, () =>
    extendDeadlineUntilDone(delivery, message, ctx, workDone),
  );
  // A boolean check is all the healthy path pays for the injected defects.
  if (ctx.defects !== undefined) ctx.defects.duringHandle(message, ctx, signal);
  // Neither rejects: awaiting one, then the other, settles both as
  // Promise.allSettled would, without its array and result objects.
  const saving = saveOutcome(message, ctx, signal);
  const restarting = restartOutcome(message, ctx, signal);
  return spawn(`cleanup ${name}`, () =>
    cleanUp(
      delivery,
      message,
      ctx,
      saving,
      restarting,
      workDone,
      extending.promise,
      signal,
      shutdown,
    ),
  ).promise;
}

/** The cleanup task: once the work is over, stop extending, then settle the delivery. */
async function cleanUp(
  delivery: BrokerMessage,
  message: MayhemMessage,
  ctx: HandlerContext,
  saving: Promise<ActionResult>,
  restarting: Promise<ActionResult>,
  workDone: Latch,
  extending: Promise<void>,
  signal: CancelSignal,
  shutdown: CancelSignal,
): Promise<HandleOutcome> {
  const saved = await saving;
  const restarted = await restarting;
  workDone.abort(WORK_DONE);
  // The extend task ends with its message: nothing is left running once the handle task is done.
  await extending;
  if (signal.aborted) return settleCancelled(delivery, message, ctx, shutdown);
  if (reportResults(saved, restarted, message, ctx)) return ack(delivery, message, ctx);
  return nack(delivery, message, ctx);
}

function settleCancelled(
  delivery: BrokerMessage,
  message: MayhemMessage,
  ctx: HandlerContext,
  shutdown: CancelSignal,
): "aborted" {
  ctx.stats.aborted++;
  if (!shutdown.aborted) {
    // Cancelled on its own (by task id): give the message back as shutdown would.
    delivery.nack(0);
    ctx.stats.nacked++;
    ctx.errorLog?.warn(
      { messageId: message.messageId, deliveryAttempt: delivery.deliveryAttempt },
      `Cancelled handle ${message.instanceName}; nacked for redelivery`,
    );
  }
  return "aborted";
}

function ack(delivery: BrokerMessage, message: MayhemMessage, ctx: HandlerContext): "acked" {
  delivery.ack();
  ctx.stats.acked++;
  ctx.log?.info(
    { messageId: message.messageId, deliveryAttempt: delivery.deliveryAttempt },
    `Done. Acked ${message.instanceName}`,
  );
  return "acked";
}

function nack(delivery: BrokerMessage, message: MayhemMessage, ctx: HandlerContext): "nacked" {
  delivery.nack(ctx.nackDelayMs);
  ctx.stats.nacked++;
  ctx.log?.info(
    { messageId: message.messageId, deliveryAttempt: delivery.deliveryAttempt },
    `Nacked ${message.instanceName} for redelivery`,
  );
  return "nacked";
}

/**
 * A task's cancellation as a {@link CancelSignal}, without creating the task's
 * `AbortController` on the healthy path: `aborted` reads the task's flag; the
 * controller is made only when a real timer sleep listens, or once cancelled.
 */
class TaskCancelSignal implements CancelSignal {
  constructor(readonly task: Task) {}
  get aborted(): boolean {
    return this.task.cancelRequested;
  }
  get reason(): unknown {
    const reason: unknown = this.task.signal.reason;
    return reason;
  }
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void {
    this.task.signal.addEventListener(type, listener, options);
  }
  removeEventListener(type: "abort", listener: () => void): void {
    this.task.signal.removeEventListener(type, listener);
  }
}

/** The name of a message's task, as task dumps and the `Pulled` log line show it. */
export function handleTaskName(message: MayhemMessage): string {
  return `handle ${message.instanceName}`;
}

/**
 * Spawns the unit of work for one delivery as the loopscope task
 * `handle cattle-xxxx`, with its `extend` and `cleanup` children.
 * Cancelling the task (`task.cancel()`, `cancelTask(id)`) stops the work and
 * nacks the message; `shutdown` aborting means the dispatcher already nacked it.
 *
 * @example
 * ```ts
 * const task = spawnHandler(delivery, message, ctx, shutdownSignal);
 * const outcome = await task.promise; // "acked" | "nacked" | "aborted"
 * ```
 */
export function spawnHandler(
  delivery: BrokerMessage,
  message: MayhemMessage,
  ctx: HandlerContext,
  shutdown: CancelSignal,
): Task<HandleOutcome> {
  return spawn(handleTaskName(message), (task) =>
    handleMessage(delivery, message, ctx, new TaskCancelSignal(task), shutdown),
  );
}
