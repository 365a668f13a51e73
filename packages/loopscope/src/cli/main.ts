#!/usr/bin/env node
/**
 * The `loopscope` command.
 *
 *   loopscope run [--debug] [--slow-ms N] [--events FILE] [--inspect [HOST:]PORT] -- <command...>
 *   loopscope dump <pid | url> [--json] [--recorder] [--timeout-ms N]
 *   loopscope inspect <pid> [--json] [--timeout-ms N]
 *   loopscope top <pid | url> [--timeout-ms N]
 */
import { Command } from "commander";
import { dumpProcess } from "./dump.js";
import type { DumpOptions } from "./dump.js";
import { inspectProcess } from "./inspect.js";
import type { InspectOptions } from "./inspect.js";
import { runCommand } from "./run.js";
import type { TopOptions } from "./top/index.js";
import type { RunOptions } from "./run.js";

const program = new Command("loopscope")
  .description("The event-loop debugger for Node: task dumps, blocked-loop stacks, loop metrics")
  .enablePositionalOptions();

program
  .command("run")
  .description("run a command with loopscope preloaded in every Node process it starts")
  .option("--debug", "debug mode (LOOPSCOPE_DEBUG=1): the await line of every pending async call")
  .option("--slow-ms <n>", "blocked/slow threshold in milliseconds (LOOPSCOPE_SLOW_MS)")
  .option("--events <file>", "append every event to FILE as JSON lines (LOOPSCOPE_EVENTS)")
  .option(
    "--inspect <[host:]port>",
    "serve the inspector, the live dashboard, here; port 0 for a free one (LOOPSCOPE_INSPECT)",
  )
  .argument("<command...>", "the command, after --, e.g. -- node app.js")
  .passThroughOptions()
  .action(async (command: string[], options: RunOptions) => {
    process.exitCode = await runCommand(command, options);
  });

program
  .command("dump")
  .description(
    "ask a running process for a task dump (SIGUSR2) and print it; or, given its inspector's URL, read the dump over the protocol",
  )
  .argument("<pid|url>", "process id, or the inspector's URL with its token")
  .option(
    "--json",
    "print the task-dump event (with --recorder: the recorder file) as JSON instead of text",
  )
  .option(
    "--recorder",
    "print the flight recorder instead: the last seconds of tasks, blocks, GC pauses, rejections (of a process that died of one: the file it left)",
  )
  .option("--timeout-ms <n>", "how long to wait for the answer", "5000")
  .option("--force", "signal the process even if it does not look like it runs loopscope")
  .action(async (pid: string, options: DumpOptions) => {
    process.exitCode = await dumpProcess(pid, options);
  });

program
  .command("inspect")
  .description(
    "open the inspector of a running process that runs loopscope (or find the one it serves) and print its URL with the token",
  )
  .argument("<pid>", "process id")
  .option("--json", "print the address as JSON: url, token, pid")
  .option("--timeout-ms <n>", "how long to wait for the answer", "5000")
  .action(async (pid: string, options: InspectOptions) => {
    process.exitCode = await inspectProcess(pid, options);
  });

program
  .command("top")
  .description(
    "a live view of a running process in this terminal: its tasks, loop delay and blocks, over the inspector's protocol",
  )
  .argument(
    "<pid|url>",
    "process id (its inspector is opened if it serves none), or the inspector's URL with its token",
  )
  .option("--timeout-ms <n>", "how long to wait for the process to open its inspector", "5000")
  .action(async (target: string, options: TopOptions) => {
    // Loaded when asked for: the other commands do without its WebSocket client and terminal library.
    const { topCommand } = await import("./top/index.js");
    process.exitCode = await topCommand(target, options);
  });

await program.parseAsync(process.argv);
