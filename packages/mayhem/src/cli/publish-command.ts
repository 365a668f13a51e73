import type { Command } from "commander";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { NatsPublisher, natsBrokerDefaults } from "../broker/nats/index.js";
import type { MayhemConfig } from "../config/index.js";
import { decimal, integer, resolveConfig } from "../config/index.js";
import { createMessage, encodeMessage } from "../message/index.js";
import { createRandom } from "../service/index.js";
import { startingNats } from "./broker-start-error.js";
import { natsTopologyOptions } from "./create-broker.js";
import type { CliIo } from "./program.js";
import {
  NATS_LOCATION_KNOBS,
  addKnobOptions,
  parseFlag,
  requireNatsBroker,
} from "./knob-options.js";

/** What `mayhem publish` prints when done: one JSON line. */
export interface PublishSummary {
  readonly published: number;
  readonly stream: string;
  readonly subject: string;
  readonly seconds: number;
  readonly msgs_per_s: number;
}

type PublishFlags = Partial<Record<keyof MayhemConfig, string>> & {
  count?: string;
  rate?: string;
};

/**
 * Publishes `count` valid Mayhem messages onto the stream, at `rate` messages a
 * second or as fast as the publish window allows, and resolves once the
 * server has stored every one.
 */
export async function publishMessages(options: {
  readonly config: MayhemConfig;
  readonly count: number;
  /** Messages per second; `undefined`: as fast as the window allows. */
  readonly rate: number | undefined;
}): Promise<PublishSummary> {
  const { config, count, rate } = options;
  const topology = natsTopologyOptions(config);
  const publisher = await startingNats(config.broker, () =>
    NatsPublisher.connect({
      servers: topology.servers,
      stream: topology.stream,
      subject: topology.subject,
    }),
  );
  const random = createRandom(config.seed);
  const pending = new Set<Promise<void>>();
  let failure: Error | undefined;
  const started = performance.now();
  try {
    for (let i = 0; i < count && failure === undefined; i++) {
      if (rate !== undefined) {
        // Paced against the start, not the previous message: timer lateness does not add up.
        const wait = started + (i * 1000) / rate - performance.now();
        if (wait >= 1) await sleep(wait);
      }
      const stored: Promise<void> = publisher
        .publish(encodeMessage(createMessage(random)))
        .catch((error: unknown) => {
          failure ??= error instanceof Error ? error : new Error(String(error));
        })
        .finally(() => pending.delete(stored));
      pending.add(stored);
      // The window bounds publishes awaiting their ack; bound the waiting ones too.
      if (pending.size >= natsBrokerDefaults.publishWindow) await Promise.race(pending);
    }
    await Promise.all(pending);
  } finally {
    await publisher.close();
  }
  if (failure !== undefined) throw failure;
  const seconds = (performance.now() - started) / 1000;
  return {
    published: publisher.published,
    stream: topology.stream,
    subject: topology.subject,
    seconds: Number(seconds.toFixed(3)),
    msgs_per_s: Number((publisher.published / seconds).toFixed(1)),
  };
}

/** Registers `mayhem publish`. */
export function addPublishCommand(program: Command, io: CliIo): void {
  const command = program
    .command("publish")
    .description(
      "publish N messages onto NATS JetStream, exit once all are stored (needs --broker nats://…)",
    )
    .requiredOption("--count <n>", "messages to publish")
    .option("--rate <msgs-per-s>", "publish at this rate (default: as fast as allowed)");
  addKnobOptions(command, [...NATS_LOCATION_KNOBS, "seed"]);
  command.action(async (flags: PublishFlags) => {
    const { count, rate, ...knobs } = flags;
    const config = resolveConfig(knobs, io.env);
    requireNatsBroker(config, "publish");
    const summary = await publishMessages({
      config,
      count: parseFlag("--count", count ?? "", integer(1)),
      rate: rate === undefined ? undefined : parseFlag("--rate", rate, decimal(0.001, 10_000_000)),
    });
    io.stdout(`${JSON.stringify(summary)}\n`);
  });
}
