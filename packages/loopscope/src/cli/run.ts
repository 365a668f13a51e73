import { spawn } from "node:child_process";
import { constants } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { LoopscopeConfigError, configFromEnv } from "../config/index.js";
import { MissingPackageError, checkExporterPackages } from "../metrics/index.js";
import { EXIT } from "./exit-codes.js";

/** Options of `loopscope run`. */
export interface RunOptions {
  readonly debug?: boolean;
  readonly slowMs?: string;
  readonly events?: string;
  /** `[host:]port` of the inspector (`LOOPSCOPE_INSPECT`). */
  readonly inspect?: string;
}

/** Signals passed on to the child: shutdown requests and the dump request. */
const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGUSR2"] as const;

/** The preload, as a file URL (works in NODE_OPTIONS whatever the path contains). */
export function registerUrl(): string {
  return pathToFileURL(fileURLToPath(new URL("../register.js", import.meta.url))).href;
}

/**
 * The environment of the child: the caller's, with the `LOOPSCOPE_*` options set and the
 * preload added to `NODE_OPTIONS`, so any Node program the command starts
 * (`node app.js`, `npm start`, `npx tsx app.ts`) runs with loopscope.
 */
export function childEnv(
  options: RunOptions,
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const next: NodeJS.ProcessEnv = { ...env };
  if (options.debug === true) next.LOOPSCOPE_DEBUG = "1";
  if (options.slowMs !== undefined) next.LOOPSCOPE_SLOW_MS = options.slowMs;
  if (options.events !== undefined) next.LOOPSCOPE_EVENTS = resolve(options.events);
  if (options.inspect !== undefined) next.LOOPSCOPE_INSPECT = options.inspect;
  const preload = `--import ${registerUrl()}`;
  const current = next.NODE_OPTIONS?.trim() ?? "";
  if (!current.includes(preload))
    next.NODE_OPTIONS = current === "" ? preload : `${current} ${preload}`;
  return next;
}

/**
 * Run `command` with loopscope preloaded; resolve to the exit code to leave with: the
 * child's, or 128 + signal number if a signal ended it.
 */
export function runCommand(command: readonly string[], options: RunOptions): Promise<number> {
  const env = childEnv(options);
  try {
    // Same checks as the preload, before starting anything: a typo fails here, once.
    // The preload in the child is this same loopscope: it resolves packages as we do here.
    checkExporterPackages(configFromEnv(env));
  } catch (err) {
    if (err instanceof LoopscopeConfigError || err instanceof MissingPackageError) {
      process.stderr.write(`loopscope: ${err.message}\n`);
      return Promise.resolve(EXIT.INVALID_ARGUMENTS);
    }
    throw err;
  }
  const [file, ...args] = command;
  if (file === undefined) {
    process.stderr.write("loopscope: run needs a command, e.g. `loopscope run -- node app.js`\n");
    return Promise.resolve(EXIT.USAGE);
  }

  return new Promise<number>((resolveExit) => {
    const child = spawn(file, args, { stdio: "inherit", env });
    const forwarders = FORWARDED_SIGNALS.map((signal) => {
      const forward = (): void => {
        // A Ctrl-C in a terminal reaches the whole foreground process group, the child
        // included: passing it on would make it a second SIGINT (often "exit now").
        if (signal === "SIGINT" && process.stdin.isTTY) return;
        child.kill(signal);
      };
      process.on(signal, forward);
      return () => process.removeListener(signal, forward);
    });
    const cleanup = (): void => forwarders.forEach((remove) => remove());

    child.once("error", (err) => {
      cleanup();
      process.stderr.write(`loopscope: cannot run ${JSON.stringify(file)}: ${err.message}\n`);
      resolveExit(EXIT.COMMAND_NOT_FOUND);
    });
    child.once("exit", (code, signal) => {
      cleanup();
      if (signal !== null) resolveExit(128 + (constants.signals[signal] ?? 0));
      else resolveExit(code ?? 0);
    });
  });
}
