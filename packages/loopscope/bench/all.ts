/**
 * Runs every loopscope benchmark in turn, each in a fresh process so that one's heap and
 * JIT state cannot colour the next, and prints one JSON object keyed by benchmark.
 * Run: node --import tsx bench/all.ts   (Mayhem's benches, debug mode on Mayhem included, are in
 * packages/mayhem/bench: loopscope does not depend on Mayhem.)
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Each bench with the arguments that keep the whole set to a few minutes. */
const benches: Record<string, string[]> = {
  tasks: ["tasks.ts"],
  recorder: ["recorder.ts"],
  report: ["report.ts", "100000"],
  debug: ["debug.ts"],
  production: ["production.ts", "--rounds", "3"],
  idle: ["idle.ts", "--rounds", "3"],
  startup: ["startup.ts", "--rounds", "20"],
  installSize: ["install-size.ts"],
  inspectorQuery: ["inspector-query.ts", "--repeats", "3"],
};

const results: Record<string, unknown> = {};
for (const [name, [script, ...args]] of Object.entries(benches)) {
  const path = fileURLToPath(new URL(script as string, import.meta.url));
  const { stdout } = await run(process.execPath, ["--import", "tsx", path, ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  // Each bench prints its JSON object last (some indented over several lines); a line that
  // opens with "{" at column 0 starts it, anything before it is progress for people.
  const start = stdout.startsWith("{") ? 0 : stdout.lastIndexOf("\n{") + 1;
  results[name] = JSON.parse(stdout.slice(start)) as unknown;
  process.stderr.write(`loopscope bench: ${name} done\n`);
}
process.stdout.write(`${JSON.stringify(results)}\n`);
