import { constants } from "node:os";
import type { Logger } from "pino";
import { flushLogger } from "../log/index.js";
import { installExceptionHandler } from "./exception-handler.js";
import type { ServiceHandle } from "./service.js";

/** The signals that start a graceful shutdown. */
export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Exit code after a shutdown that an unhandled error started (a signal's gives 0). */
export const EXIT_AFTER_CRASH = 1;
/** Exit code when the graceful shutdown overran its deadline. */
export const EXIT_DEADLINE_EXCEEDED = 1;

export interface ProcessBindingOptions {
  readonly service: ServiceHandle;
  readonly log: Logger;
  /** The whole shutdown, from the signal to the process's natural exit, must fit in it. */
  readonly deadlineMs: number;
  readonly signals?: readonly NodeJS.Signals[];
  /** How to end the process at once (tests may replace it). Default `process.exit`. */
  readonly exit?: (code: number) => void;
}

export interface ProcessBinding {
  /** The exit code, once the graceful shutdown has finished. */
  readonly done: Promise<number>;
  /** Removes exactly the listeners this binding added. Idempotent. */
  unbind(): void;
}

/** 128 + the signal's number, the shell's convention: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Wires a service to its process, after mcollina/close-with-grace: SIGINT,
 * SIGTERM and SIGHUP start a graceful shutdown (exit code 0); an unhandled
 * rejection or uncaught exception is logged and starts one too (exit code 1);
 * a second signal during shutdown exits at once with 128 + signal number.
 *
 * The deadline timer is armed first, in case shutdown blocks the loop; it is
 * unref'd, so it never keeps the process alive, and after a finished shutdown
 * it stays armed: if something else still holds the process open when it
 * fires, it logs what, and exits non-zero. On success the process is not
 * exited: listeners are removed, `process.exitCode` is set, and Node exits by
 * itself once nothing is left.
 */
export function bindServiceToProcess(options: ProcessBindingOptions): ProcessBinding {
  const { service, log, deadlineMs, signals = SHUTDOWN_SIGNALS } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;
  let bound = true;
  let deadline: NodeJS.Timeout | undefined;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });

  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      const code = signalExitCode(signal);
      log.warn(`Received ${signal} again during shutdown; exiting at once with code ${code}`);
      log.flush();
      exit(code);
      return;
    }
    log.info({ signal }, `Received exit signal ${signal}...`);
    begin(signal, 0);
  };
  const exceptions = installExceptionHandler({
    log,
    onError: () => {
      if (shuttingDown) return;
      log.info("Shutting down...");
      begin("unhandled error", EXIT_AFTER_CRASH);
    },
  });
  for (const signal of signals) process.on(signal, onSignal);
  void service.brokerLost.then((error) => {
    if (shuttingDown || !bound) return;
    log.error({ err: error }, `The broker closed by itself (${error.message}); shutting down`);
    begin("broker lost", EXIT_AFTER_CRASH);
  });

  function unbind(): void {
    if (!bound) return;
    bound = false;
    for (const signal of signals) process.removeListener(signal, onSignal);
    exceptions.uninstall();
  }

  function begin(reason: string, code: number): void {
    shuttingDown = true;
    deadline = setTimeout(() => {
      log.error(
        { deadlineMs, active: process.getActiveResourcesInfo() },
        `Shutdown did not finish within ${deadlineMs} ms; still active: ${process
          .getActiveResourcesInfo()
          .join(", ")}; exiting with code ${EXIT_DEADLINE_EXCEEDED}`,
      );
      log.flush();
      exit(EXIT_DEADLINE_EXCEEDED);
    }, deadlineMs);
    deadline.unref();
    void service.shutdown(reason).then(async (result) => {
      const exitCode = code === 0 && result.error !== undefined ? 1 : code;
      // The second-signal listener goes last: until here, a second signal must still exit at once.
      unbind();
      await flushLogger(log);
      process.exitCode = exitCode;
      resolveDone(exitCode);
    });
  }

  return {
    done,
    unbind() {
      unbind();
      if (deadline !== undefined) clearTimeout(deadline);
    },
  };
}
