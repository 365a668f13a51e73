import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { before, describe, it } from "node:test";
import { KNOBS } from "../../src/config/index.js";
import { childEnv } from "../helpers/child-env.js";

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const STUCK = fileURLToPath(new URL("../fixtures/stuck-close.ts", import.meta.url));
const FAST = [
  "--action-max-latency-ms",
  "50",
  "--publish-interval-ms",
  "5",
  "--log-format",
  "json",
];

interface Run {
  child: ChildProcess;
  lines: { msg: string; [key: string]: unknown }[];
  stderr: string;
  /** Resolves when a log line satisfies `test`. */
  waitFor(test: (msg: string) => boolean): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, args, {
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const run: Run = {
    child,
    lines: [],
    stderr: "",
    waitFor: () => Promise.resolve(),
    exit: new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal }))),
  };
  const waiters: { test: (msg: string) => boolean; resolve: () => void }[] = [];
  let buffered = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    for (const part of parts) {
      if (part.trim() === "") continue;
      const line = JSON.parse(part) as Run["lines"][number];
      run.lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.test(line.msg)) w.resolve();
        else waiters.push(w);
      }
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (run.stderr += chunk));
  run.waitFor = (test) =>
    run.lines.some((l) => test(l.msg))
      ? Promise.resolve()
      : new Promise((resolve) => waiters.push({ test, resolve }));
  return run;
}

function collect(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
}

describe("mayhem CLI (built)", { timeout: 60_000 }, () => {
  before(() => {
    assert.ok(existsSync(CLI), `${CLI} is missing: run \`npm run build\` at the root first`);
  });

  it("shuts down gracefully on SIGTERM: exit 0, nacks what is in flight, says so", async () => {
    const run = start([CLI, "run", ...FAST]);
    let acked = 0;
    await run.waitFor((msg) => msg.startsWith("Done. Acked") && ++acked >= 3);
    run.child.kill("SIGTERM");
    const { code, signal } = await run.exit;
    assert.equal(signal, null);
    assert.equal(code, 0, run.stderr);
    const messages = run.lines.map((l) => l.msg);
    const at = (text: string) => messages.findIndex((m) => m.startsWith(text));
    assert.ok(at("Received exit signal SIGTERM...") >= 0);
    const nacking = run.lines.find((l) => /^Nacking \d+ outstanding messages$/.test(l.msg));
    assert.ok(nacking, "the nacked count is logged");
    assert.equal(nacking.msg, `Nacking ${String(nacking.nacked)} outstanding messages`);
    const metrics = run.lines.find((l) => l.msg === "Flushing metrics") as unknown as {
      stats: { nackedAtShutdown: number; acked: number };
    };
    assert.equal(metrics.stats.nackedAtShutdown, nacking.nacked);
    assert.ok(metrics.stats.acked >= 3);
    assert.ok(at("Received exit signal") < at("Nacking"));
    assert.ok(at("Nacking") < at("Closing the memory broker"));
    assert.equal(messages.at(-1), "Successfully shutdown the Mayhem service.");
  });

  it("exits at once, non-zero, on a second signal during shutdown", async () => {
    const run = start(["--import", "tsx", STUCK]);
    await run.waitFor((msg) => msg.startsWith("Done. Acked"));
    run.child.kill("SIGTERM");
    await run.waitFor((msg) => msg.startsWith("Closing the memory broker"));
    run.child.kill("SIGINT");
    const { code } = await run.exit;
    assert.equal(code, 130, run.stderr);
    assert.ok(
      run.lines.some((l) => l.msg.startsWith("Received SIGINT again during shutdown")),
      "the immediate exit is logged",
    );
    assert.ok(!run.lines.some((l) => l.msg.startsWith("Successfully shutdown")));
  });

  it("rejects an invalid flag value with exit code 2 and a clear message", async () => {
    const { code, stderr } = await collect(["run", "--max-in-flight", "lots"]);
    assert.equal(code, 2);
    assert.match(stderr, /invalid value for --max-in-flight: "lots" \(expected an integer/);
  });

  it("rejects an invalid environment variable with exit code 2, naming it", async () => {
    const { code, stderr } = await collect(["run"], { MAYHEM_LOG_FORMAT: "xml" });
    assert.equal(code, 2);
    assert.match(
      stderr,
      /environment variable MAYHEM_LOG_FORMAT: "xml" \(expected one of auto, pretty, json\)/,
    );
  });

  it("rejects an unknown option with exit code 2", async () => {
    const { code, stderr } = await collect(["run", "--no-such-knob", "1"]);
    assert.equal(code, 2);
    assert.match(stderr, /unknown option '--no-such-knob'/);
  });

  it("--help lists every knob with its environment variable", async () => {
    const { code, stdout: raw } = await collect(["run", "--help"]);
    assert.equal(code, 0);
    const stdout = raw.replace(/\s+/g, " "); // help wraps long lines
    for (const knob of KNOBS) {
      assert.ok(stdout.includes(knob.flag), `--help lists ${knob.flag}`);
      assert.ok(stdout.includes(`env: ${knob.env}`), `--help lists ${knob.env}`);
    }
  });

  it("bench prints one JSON line with every figure", async () => {
    const { code, stdout } = await collect(["bench", "--messages", "2000"]);
    assert.equal(code, 0);
    const lines = stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    const result = JSON.parse(lines[0]!) as Record<string, number>;
    for (const key of [
      "messages",
      "seconds",
      "msgs_per_s",
      "acked",
      "dead_lettered",
      "redelivered",
      "restarted",
      "saved",
      "peak_rss_mb",
      "ceiling_msgs_per_s",
      "ratio_to_ceiling",
    ]) {
      assert.equal(typeof result[key], "number", key);
    }
    assert.equal(result.messages, 2000);
    assert.equal(result.acked! + result.dead_lettered!, 2000);
  });
});
