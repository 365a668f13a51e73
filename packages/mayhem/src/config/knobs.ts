import { configFromEnv } from "loopscope";
import type { LogFormat, LogLevel } from "../log/index.js";
import { ConfigError, InvalidValue } from "./errors.js";
import type { Parser } from "./parsers.js";
import { decimal, integer, onOff, oneOf, optional } from "./parsers.js";
import { autoOrBoolean, brokerSpec, natsName, natsSubject } from "./broker-parsers.js";
import type { Defect } from "./defects.js";
import { DEFECTS, parseDefects } from "./defects.js";

/** Every setting of the service. Each one is a knob: a flag, an environment variable, a default. */
export interface MayhemConfig {
  /** Which broker to use: `memory` (embedded), or a NATS server URL (`nats://host:port`). */
  readonly broker: string;
  /** Run the built-in publisher: `auto` is on with the memory broker, off with NATS. */
  readonly publish: "auto" | boolean;
  /** NATS: the stream holding the work. */
  readonly natsStream: string;
  /** NATS: the subject work is published on. */
  readonly natsSubject: string;
  /** NATS: the durable pull consumer every instance shares. */
  readonly natsDurable: string;
  /** NATS: the subject dead letters go to (stored in the stream `<natsStream>_DEAD`). */
  readonly natsDeadLetterSubject: string;
  readonly maxInFlight: number;
  readonly ackDeadlineMs: number;
  readonly extendIntervalMs: number;
  readonly maxDeliveries: number;
  readonly nackDelayMs: number;
  readonly restartRetries: number;
  readonly restartBackoffMs: number;
  readonly actionMaxLatencyMs: number;
  readonly saveFailureProbability: number;
  readonly restartFailureProbability: number;
  /** `undefined`: unseeded. */
  readonly seed: number | undefined;
  /** `undefined`: a random pause of 0..publishMaxIntervalMs. */
  readonly publishIntervalMs: number | undefined;
  readonly publishMaxIntervalMs: number;
  /** `undefined`: publish until stopped. */
  readonly publishCount: number | undefined;
  readonly maxMessageBytes: number;
  readonly shutdownDeadlineMs: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** `mayhem run` turns loopscope on (`start()`, configured by `LOOPSCOPE_*`). */
  readonly loopscope: boolean;
  /**
   * With loopscope on, serve its inspector (the live dashboard) here; `undefined`: off.
   * `LOOPSCOPE_INSPECT`, when set, wins.
   */
  readonly inspect: { readonly host: string; readonly port: number } | undefined;
  /** Defects injected on purpose, to see loopscope report them; empty in a healthy run. */
  readonly inject: readonly Defect[];
}

/** One knob: where its value comes from, how it is parsed and what it means. */
export interface Knob<K extends keyof MayhemConfig = keyof MayhemConfig> {
  readonly key: K;
  /** `--max-in-flight`, derived from the key. */
  readonly flag: string;
  /** `MAYHEM_MAX_IN_FLIGHT`, derived from the key. */
  readonly env: string;
  /** Placeholder in `--help`, e.g. `<n>`. */
  readonly valueName: string;
  readonly description: string;
  readonly default: MayhemConfig[K];
  /** How the default reads in `--help` (when `String(default)` would not say it well). */
  readonly defaultText: string;
  readonly parse: Parser<MayhemConfig[K]>;
  /** A switch: the CLI also offers `--no-<name>`, which sets it to false. */
  readonly negatable?: boolean;
}

type AnyKnob = { [K in keyof MayhemConfig]: Knob<K> }[keyof MayhemConfig];

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function knob<K extends keyof MayhemConfig>(
  key: K,
  spec: {
    valueName: string;
    description: string;
    default: MayhemConfig[K];
    defaultText?: string;
    parse: Parser<MayhemConfig[K]>;
    negatable?: boolean;
  },
): Knob<K> {
  const name = kebab(key);
  return {
    key,
    flag: `--${name}`,
    env: `MAYHEM_${name.replace(/-/g, "_").toUpperCase()}`,
    valueName: spec.valueName,
    description: spec.description,
    default: spec.default,
    defaultText: spec.defaultText ?? literalText(spec.default),
    parse: spec.parse,
    ...(spec.negatable === true ? { negatable: true } : {}),
  };
}

/** `--inject` and `MAYHEM_INJECT`: a comma-separated list of defects, or `none`. */
const defectList: Parser<readonly Defect[]> = (raw) => {
  try {
    return parseDefects(raw);
  } catch {
    throw new InvalidValue(`a comma-separated list of ${DEFECTS.join(", ")}, or "none"`);
  }
};

/** A default as its knob's value would be written: an object as JSON. */
export function literalText(value: unknown): string {
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

/** `[host:]port`, read by loopscope's own parser of `LOOPSCOPE_INSPECT`: one syntax for both. */
const inspectAddress: Parser<{ host: string; port: number }> = (raw) => {
  try {
    const inspect = configFromEnv({ LOOPSCOPE_INSPECT: raw }).inspect;
    if (inspect !== undefined) return inspect;
  } catch {
    // Said below, in the knob's words.
  }
  throw new InvalidValue("[host:]port with a port from 0 (any free one) to 65535");
};

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * The one table of knobs. The CLI builds its options and `--help` from it, and
 * reads `MAYHEM_*` environment variables through it, so every knob has both.
 */
export const KNOBS: readonly AnyKnob[] = [
  knob("broker", {
    valueName: "<kind>",
    description:
      "broker to use: memory (embedded, in-process) or a NATS JetStream server, nats://host:port",
    default: "memory",
    parse: brokerSpec,
  }),
  knob("publish", {
    valueName: "[when]",
    description:
      "run the built-in publisher: auto (on with memory, off with NATS), true (a bare --publish) or false",
    default: "auto",
    parse: autoOrBoolean,
  }),
  knob("natsStream", {
    valueName: "<name>",
    description: "NATS: stream holding the work (created if missing, checked if present)",
    default: "MAYHEM",
    parse: natsName,
  }),
  knob("natsSubject", {
    valueName: "<subject>",
    description: "NATS: subject the work is published on",
    default: "mayhem.restart",
    parse: natsSubject,
  }),
  knob("natsDurable", {
    valueName: "<name>",
    description: "NATS: durable pull consumer shared by every instance",
    default: "mayhem",
    parse: natsName,
  }),
  knob("natsDeadLetterSubject", {
    valueName: "<subject>",
    description: "NATS: subject of dead letters (stored in the stream <nats-stream>_DEAD)",
    default: "mayhem.dead",
    parse: natsSubject,
  }),
  knob("maxInFlight", {
    valueName: "<n>",
    description: "most messages handled at once; pulling waits beyond it (backpressure)",
    default: 1000,
    parse: integer(1, 1_000_000),
  }),
  knob("ackDeadlineMs", {
    valueName: "<ms>",
    description: "broker ack deadline: an unsettled lease is redelivered after it",
    default: 10_000,
    parse: integer(1),
  }),
  knob("extendIntervalMs", {
    valueName: "<ms>",
    description: "how often a handler extends its ack deadline; must be below the ack deadline",
    default: 2000,
    parse: integer(1),
  }),
  knob("maxDeliveries", {
    valueName: "<n>",
    description: "deliveries of a message before it is dead-lettered",
    default: 5,
    parse: integer(1, 1000),
  }),
  knob("nackDelayMs", {
    valueName: "<ms>",
    description: "delay before a nacked message is redelivered",
    default: 1000,
    parse: integer(0),
  }),
  knob("restartRetries", {
    valueName: "<n>",
    description: "retries of a failed restart (RestartFailed) before giving up",
    default: 3,
    parse: integer(0, 100),
  }),
  knob("restartBackoffMs", {
    valueName: "<ms>",
    description: "backoff before the first restart retry, doubled for each next one",
    default: 100,
    parse: integer(0),
  }),
  knob("actionMaxLatencyMs", {
    valueName: "<ms>",
    description: "save and restart each take a random 0..this long",
    default: 1000,
    parse: integer(0),
  }),
  knob("saveFailureProbability", {
    valueName: "<p>",
    description: "probability that a save fails",
    default: 0.25,
    parse: decimal(0, 1),
  }),
  knob("restartFailureProbability", {
    valueName: "<p>",
    description: "probability that one restart attempt fails",
    default: 0.25,
    parse: decimal(0, 1),
  }),
  knob("seed", {
    valueName: "<n>",
    description:
      "seed of every random draw (publish pauses, instance names, action latencies and failures, injected blocks), for reproducible runs; message ids stay unique",
    default: undefined,
    defaultText: "none (unseeded)",
    parse: optional(integer(0, 2 ** 32 - 1)),
  }),
  knob("publishIntervalMs", {
    valueName: "<ms>",
    description: "fixed pause between published messages",
    default: undefined,
    defaultText: "none (random, see --publish-max-interval-ms)",
    parse: optional(integer(0)),
  }),
  knob("publishMaxIntervalMs", {
    valueName: "<ms>",
    description: "without a fixed interval, pause a random 0..this long between messages",
    default: 1000,
    parse: integer(0),
  }),
  knob("publishCount", {
    valueName: "<n>",
    description: "stop publishing after this many messages",
    default: undefined,
    defaultText: "unlimited",
    parse: optional(integer(0), "unlimited"),
  }),
  knob("maxMessageBytes", {
    valueName: "<bytes>",
    description: "larger payloads are malformed: terminated, never redelivered",
    default: 4096,
    parse: integer(64, 16 * 1024 * 1024),
  }),
  knob("shutdownDeadlineMs", {
    valueName: "<ms>",
    description: "graceful shutdown must finish within this, or the process exits non-zero",
    default: 10_000,
    parse: integer(1),
  }),
  knob("logLevel", {
    valueName: "<level>",
    description: `log level: ${LOG_LEVELS.join(", ")}`,
    default: "info",
    parse: oneOf(LOG_LEVELS),
  }),
  knob("logFormat", {
    valueName: "<format>",
    description: "auto (readable on a TTY, JSON otherwise), pretty or json",
    default: "auto",
    parse: oneOf(["auto", "pretty", "json"] as const),
  }),
  knob("loopscope", {
    valueName: "[on]",
    description:
      "turn loopscope on: task dump on SIGUSR2, loop-blocked reports, metrics; LOOPSCOPE_DEBUG=1 for debug mode (--no-loopscope: off)",
    default: true,
    parse: onOff,
    negatable: true,
  }),
  knob("inspect", {
    valueName: "<[host:]port>",
    description:
      "with loopscope on, serve its inspector (the live dashboard; the URL with its token is printed on stderr) at this address, port 0 for a free one; LOOPSCOPE_INSPECT wins when set",
    default: { host: "127.0.0.1", port: 0 },
    defaultText: "127.0.0.1:0",
    parse: optional(inspectAddress, "off"),
  }),
  knob("inject", {
    valueName: "<defects>",
    description: `inject defects on purpose, to see loopscope report them: ${DEFECTS.join(", ")} (comma-separated)`,
    default: [],
    defaultText: "none",
    parse: defectList,
  }),
];

/** The configuration with every knob at its default. */
export function defaultConfig(): MayhemConfig {
  const config: Record<string, unknown> = {};
  for (const k of KNOBS) config[k.key] = k.default;
  return config as unknown as MayhemConfig;
}

/**
 * Resolves every knob: a flag wins over its environment variable, which wins
 * over the default. Then checks the knobs that constrain each other.
 *
 * @param flags - raw flag values by config key (as the CLI parsed them), `undefined` when absent.
 * @param env - usually `process.env`.
 * @throws {ConfigError} naming the flag or environment variable and the value.
 */
export function resolveConfig(
  flags: Partial<Record<keyof MayhemConfig, string>>,
  env: NodeJS.ProcessEnv,
): MayhemConfig {
  const config: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const k of KNOBS) {
    // A flag with an optional value (`--publish`) given bare arrives as `true`; `--no-<name>` as `false`.
    const given = flags[k.key] as string | boolean | undefined;
    const fromFlag = given === true ? "" : given === false ? "false" : given;
    const fromEnv = env[k.env];
    let raw: string | undefined;
    let source: string;
    if (fromFlag !== undefined) {
      raw = fromFlag;
      source = k.flag;
    } else if (fromEnv !== undefined) {
      raw = fromEnv;
      source = `environment variable ${k.env}`;
    } else {
      config[k.key] = k.default;
      sources[k.key] = `${k.flag} (default)`;
      continue;
    }
    try {
      config[k.key] = k.parse(raw);
    } catch (error) {
      if (error instanceof InvalidValue) throw new ConfigError(source, raw, error.expected);
      throw error;
    }
    sources[k.key] = source;
  }
  const resolved = config as unknown as MayhemConfig;
  if (resolved.extendIntervalMs >= resolved.ackDeadlineMs) {
    throw new ConfigError(
      sources.extendIntervalMs!,
      String(resolved.extendIntervalMs),
      `less than the ack deadline, ${resolved.ackDeadlineMs} ms`,
    );
  }
  return resolved;
}
