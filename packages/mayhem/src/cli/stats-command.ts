import type { Command } from "commander";
import { natsServerStats } from "../broker/nats/index.js";
import type { MayhemConfig } from "../config/index.js";
import { resolveConfig } from "../config/index.js";
import { startingNats } from "./broker-start-error.js";
import { natsTopologyOptions } from "./create-broker.js";
import type { CliIo } from "./program.js";
import { NATS_LOCATION_KNOBS, addKnobOptions, requireNatsBroker } from "./knob-options.js";

/** Registers `mayhem stats`: the stream's and the consumer's figures as one JSON line. */
export function addStatsCommand(program: Command, io: CliIo): void {
  const command = program
    .command("stats")
    .description(
      "print the NATS stream's and consumer's figures as one JSON line (needs --broker nats://…)",
    );
  addKnobOptions(command, NATS_LOCATION_KNOBS);
  command.action(async (flags: Partial<Record<keyof MayhemConfig, string>>) => {
    const config = resolveConfig(flags, io.env);
    requireNatsBroker(config, "stats");
    const { servers, stream, durable } = natsTopologyOptions(config);
    const stats = await startingNats(
      servers,
      () => natsServerStats({ servers, stream, durable, deadLetterStream: `${stream}_DEAD` }),
      "read the stream and consumer",
    );
    io.stdout(`${JSON.stringify(stats)}\n`);
  });
}
