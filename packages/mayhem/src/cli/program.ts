import { Command, CommanderError } from "commander";
import { runBench, runNatsBench } from "../bench/index.js";
import type { MayhemConfig } from "../config/index.js";
import { ConfigError, KNOBS, integer, isNatsBroker, resolveConfig } from "../config/index.js";
import { createLogger } from "../log/index.js";
import { bindServiceToProcess, runService } from "../service/index.js";
import { BrokerStartError, startingNats } from "./broker-start-error.js";
import { createBroker } from "./create-broker.js";
import { addKnobOptions, parseFlag } from "./knob-options.js";
import { addPublishCommand } from "./publish-command.js";
import { addStatsCommand } from "./stats-command.js";
import { LoopscopeConfigError, startLoopscope } from "./loopscope.js";

/** Exit code of a command-line mistake: a bad flag, a bad value. */
export const EXIT_USAGE = 2;

/** What the CLI reads and writes; the real process by default, replaceable in tests. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: CliIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** `mayhem run`: the service until a signal. Resolves with the exit code. */
async function runCommand(
  flags: Partial<Record<keyof MayhemConfig, string>>,
  io: CliIo,
): Promise<number> {
  const config = resolveConfig(flags, io.env);
  // Before anything else runs, so debug mode sees every promise of the service.
  const loopscope = config.loopscope ? startLoopscope(io.env, config.inspect) : undefined;
  try {
    return await runUntilShutdown(config, io, loopscope?.mode ?? "off");
  } finally {
    // After the service closed: flushes loopscope's events and stops its worker.
    await loopscope?.stop();
  }
}

async function runUntilShutdown(
  config: MayhemConfig,
  io: CliIo,
  loopscope: string,
): Promise<number> {
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const broker = await createBroker(config, logger);
  // On a shared broker, work comes from `mayhem publish` or other producers.
  const onNats = isNatsBroker(config.broker);
  const publish = config.publish === "auto" ? !onNats : config.publish;
  logger.info(
    {
      broker: broker.kind,
      ...(onNats ? { server: config.broker } : {}),
      publish,
      maxInFlight: config.maxInFlight,
      seed: config.seed ?? null,
      pid: process.pid,
      loopscope,
      ...(config.inject.length > 0 ? { inject: config.inject } : {}),
    },
    `Mayhem Mandrill started on the ${broker.kind} broker (pid ${process.pid}); Ctrl-C to stop`,
  );
  if (loopscope !== "off") {
    logger.info(
      `loopscope is on (${loopscope} mode): kill -USR2 ${process.pid} prints a task dump${config.inspect === undefined ? "" : "; open the inspector's URL, printed on stderr, for the live dashboard"}`,
    );
  }
  if (config.inject.length > 0) {
    logger.warn(`Injecting defects on purpose: ${config.inject.join(", ")}`);
  }
  const service = runService(config, broker, logger, { publish });
  const binding = bindServiceToProcess({
    service,
    log: logger,
    deadlineMs: config.shutdownDeadlineMs,
  });
  return binding.done;
}

/**
 * Builds the `mayhem` command line. Every knob of the table becomes a flag of
 * `run`, with its environment variable and default in `--help`.
 */
export function buildProgram(
  io: CliIo = processIo,
  setExitCode: (code: number) => void = () => {},
): Command {
  const program = new Command("mayhem")
    .description("Mayhem Mandrill: a chaos-monkey-like service that restarts hosts from a pub/sub")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError("(run with --help for the list of options)");

  const run = program
    .command("run", { isDefault: true })
    .description(
      "run the publisher and the consumer until SIGINT, SIGTERM or SIGHUP\n" +
        "(every option can also be set by its environment variable; a flag wins)",
    );
  addKnobOptions(
    run,
    KNOBS.map((knob) => knob.key),
  );
  run.action(async (flags: Partial<Record<keyof MayhemConfig, string>>) => {
    setExitCode(await runCommand(flags, io));
  });

  addPublishCommand(program, io);
  addStatsCommand(program, io);

  program
    .command("bench")
    .description(
      "benchmark: exactly N messages, every sleep a yield, seeded failures, no logging;\n" +
        "prints one JSON line with the rate and the no-op ceiling measured in the same run",
    )
    .option("--messages <n>", "messages per run", "200000")
    .option("--runs <k>", "runs of each kind, alternating; medians are reported", "1")
    .option("--seed <n>", "seed of every random draw", "0")
    .option(
      "--broker <kind>",
      "memory (default), or nats://host:port: N stored messages against the raw client's ceiling (env: MAYHEM_BROKER)",
    )
    .action(async (flags: { messages: string; runs: string; seed: string; broker?: string }) => {
      const options = {
        messages: parseFlag("--messages", flags.messages, integer(1)),
        runs: parseFlag("--runs", flags.runs, integer(1, 1000)),
        seed: parseFlag("--seed", flags.seed, integer(0, 2 ** 32 - 1)),
      };
      const { broker } = resolveConfig({ broker: flags.broker }, io.env);
      const result = isNatsBroker(broker)
        ? await startingNats(
            broker,
            () => runNatsBench({ servers: broker, ...options }),
            "run the benchmark on the nats broker",
          )
        : await runBench(options);
      io.stdout(`${JSON.stringify(result)}\n`);
    });

  return program;
}

/**
 * Runs the CLI and resolves with the exit code: 0 on success (including a
 * graceful shutdown after a signal), 2 for a usage error or an invalid value,
 * 1 after a crash-triggered shutdown.
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are exit code 0; every other one is a usage error.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      io.stderr(`mayhem: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof LoopscopeConfigError) {
      io.stderr(`loopscope: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof BrokerStartError) {
      io.stderr(`mayhem: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  return exitCode;
}
