import type { Command } from "commander";
import { Option } from "commander";
import type { MayhemConfig } from "../config/index.js";
import { ConfigError, InvalidValue, KNOBS, isNatsBroker } from "../config/index.js";

/** The knobs that say where the NATS work lives: what `publish`, `stats` and `bench` share with `run`. */
export const NATS_LOCATION_KNOBS: readonly (keyof MayhemConfig)[] = [
  "broker",
  "natsStream",
  "natsSubject",
  "natsDurable",
  "natsDeadLetterSubject",
];

/**
 * Adds the given knobs of the table to `command` as options, with their
 * variable and default in `--help` (and `--no-<name>` for a switch).
 */
export function addKnobOptions(command: Command, keys: readonly (keyof MayhemConfig)[]): void {
  for (const knob of KNOBS) {
    if (!keys.includes(knob.key)) continue;
    command.addOption(
      new Option(
        `${knob.flag} ${knob.valueName}`,
        `${knob.description} (env: ${knob.env}; default: ${knob.defaultText})`,
      ),
    );
    if (knob.negatable === true) {
      command.addOption(new Option(`--no-${knob.flag.slice(2)}`, `same as ${knob.flag} false`));
    }
  }
}

/** Parses one command-specific flag, turning a parser's complaint into a {@link ConfigError} naming the flag. */
export function parseFlag<T>(flag: string, raw: string, parse: (raw: string) => T): T {
  try {
    return parse(raw);
  } catch (error) {
    if (error instanceof InvalidValue) throw new ConfigError(flag, raw, error.expected);
    throw error;
  }
}

/** Refuses the memory broker for a command that needs a shared one (exit 2 through ConfigError). */
export function requireNatsBroker(config: MayhemConfig, command: string): void {
  if (!isNatsBroker(config.broker)) {
    throw new ConfigError(
      "--broker",
      config.broker,
      `a NATS server URL such as nats://127.0.0.1:4222: \`mayhem ${command}\` works on a shared broker, ` +
        "and the memory broker lives inside one `mayhem run` process",
    );
  }
}
