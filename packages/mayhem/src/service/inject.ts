/**
 * Defects put into Mayhem on purpose (`mayhem run --inject <defect>`), one of each
 * kind the article debugs with asyncio's debug mode, so that loopscope's reports can
 * be seen pointing at the line responsible. All of them live here: the healthy path
 * pays one `ctx.defects !== undefined` check per message and nothing else.
 *
 * The marker comments (`inject:...`) name the lines the reports must point at; the
 * tests find them in this file rather than hard-coding line numbers.
 */
import { pbkdf2Sync } from "node:crypto";
import { spawn } from "loopscope";
import type { Logger } from "pino";
import type { Defect } from "../config/index.js";
import { DEFECTS } from "../config/index.js";
import type { MayhemMessage } from "../message/index.js";
import { hostnameOf } from "../message/index.js";
import type { Actions } from "./actions.js";
import { RestartFailedError } from "./errors.js";
import type { HandlerContext } from "./handler.js";
import type { CancelSignal } from "./sleep.js";

/** Shortest and longest loop block of `blocking-save`, in milliseconds. */
const BLOCK_MIN_MS = 300;
const BLOCK_SPREAD_MS = 1000;
/** Enough PBKDF2 rounds for tens of milliseconds on the main thread. */
const PBKDF2_ITERATIONS = 200_000;

/** The defects of one service. Build it only when at least one is asked for. */
export class InjectedDefects {
  readonly defects: readonly Defect[];
  readonly #blockingSave: boolean;
  readonly #blockingCall: boolean;
  readonly #unretrieved: boolean;
  readonly #lostTask: boolean;
  readonly #random: () => number;
  readonly #log: Logger | undefined;

  /**
   * @param defects - which defects to inject.
   * @param random - source of randomness in [0, 1) (block lengths): the service's seeded one.
   * @param log - where each injected block is told, with its length (per-message lines).
   */
  constructor(defects: readonly Defect[], random: () => number, log?: Logger) {
    for (const defect of defects) {
      if (!DEFECTS.includes(defect)) {
        throw new TypeError(`defects: unknown defect ${JSON.stringify(defect)}`);
      }
    }
    this.defects = [...defects];
    this.#blockingSave = defects.includes("blocking-save");
    this.#blockingCall = defects.includes("blocking-call");
    this.#unretrieved = defects.includes("unretrieved");
    this.#lostTask = defects.includes("lost-task");
    this.#random = random;
    this.#log = log;
  }

  /** `actions` with the save defects in front of its save; `actions` itself if none. */
  wrapActions(actions: Actions): Actions {
    if (!this.#blockingSave && !this.#blockingCall) return actions;
    const blockingSave = this.#blockingSave;
    const blockingCall = this.#blockingCall;
    const random = this.#random;
    const log = this.#log;
    return {
      save(message: MayhemMessage, signal: CancelSignal): Promise<void> {
        // Before the first await, like the article's `time.sleep` at the top of save:
        // it runs in the message's task, so the report can name it.
        if (blockingSave) {
          const blockMs = Math.round(BLOCK_MIN_MS + random() * BLOCK_SPREAD_MS);
          log?.info(
            { messageId: message.messageId, blockMs },
            `Blocking the loop for ${blockMs} ms on purpose (blocking-save)`,
          );
          blockTheLoop(blockMs);
        }
        if (blockingCall) hashSynchronously(message);
        return actions.save(message, signal);
      },
      restartHost: (message, signal) => actions.restartHost(message, signal),
    };
  }

  /** Called by the handler in the message's task, next to the real work. */
  duringHandle(message: MayhemMessage, ctx: HandlerContext, signal: CancelSignal): void {
    if (this.#unretrieved) restartUnsupervised(message, ctx, signal);
    if (this.#lostTask) waitForNothing(message);
  }
}

/** A CPU-bound section that holds the main thread for `ms` (not Atomics.wait: the watchdog must see JavaScript running). */
function blockTheLoop(ms: number): void {
  const until = performance.now() + ms;
  let spins = 0;
  while (performance.now() < until) spins++; // inject:blocking-save
  if (spins < 0) throw new Error("unreachable"); // keeps the loop from being optimised away
}

/** A real synchronous call on the main thread, what debug mode's blocking-call check catches. */
function hashSynchronously(message: MayhemMessage): void {
  pbkdf2Sync(message.messageId, message.instanceName, PBKDF2_ITERATIONS, 32, "sha256"); // inject:blocking-call
}

/**
 * The restart again, in a child task nobody awaits and whose failure nobody handles:
 * a rejected task promise, so Node's unhandled rejection, which Mayhem's exception
 * handler turns into a graceful shutdown.
 */
function restartUnsupervised(
  message: MayhemMessage,
  ctx: HandlerContext,
  signal: CancelSignal,
): void {
  const restart = async (): Promise<void> => {
    try {
      await ctx.actions.restartHost(message, signal);
    } catch {
      if (signal.aborted) return; // shutdown, not the defect
      throw new RestartFailedError(hostnameOf(message)); // inject:unretrieved-throw
    }
  };
  // The task's promise is deliberately left unhandled: that is the defect.
  spawn(`restart ${message.instanceName}`, restart); // inject:unretrieved-spawn
}

/** A child task awaiting a promise whose resolver is dropped at once: it can never resume. */
function waitForNothing(message: MayhemMessage): void {
  const waitForever = async (): Promise<void> => {
    await new Promise<void>(() => undefined); // inject:lost-task-await
  };
  spawn(`wait for ${message.instanceName} audit`, waitForever); // inject:lost-task-spawn
}
