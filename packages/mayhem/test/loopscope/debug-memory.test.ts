/**
 * Debug mode keeps memory flat over a long run: the built CLI's `bench` under the
 * loopscope preload with LOOPSCOPE_DEBUG=1, once with 15,000 messages and once with ten
 * times as many. Everything debug mode keeps per promise, task, await or call site is
 * bounded or goes with its owner, so the long run's peak RSS must stay close to the short
 * one's (measured by hand with 20,000 and 200,000: 117 MB and 136 MB), far from ten times
 * it: a leak of half a kilobyte a message would already fail. The sizes keep the test
 * near 15 s on a loaded machine (debug mode's bench ran at ~20k messages a second there).
 * Needs `npm run build` at the root. No timing assertions: the timeout only turns a hang
 * into a failure.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { testRuntimeDir } from "../helpers/child-env.js";

const packageDir = fileURLToPath(new URL("../../", import.meta.url));
const cli = join(packageDir, "dist/cli/main.js");

/** The long run may grow this much over the short one (hash tables at their peak size, code). */
const MAX_GROWTH = 1.6;
const SHORT_RUN = 15_000;
const LONG_RUN = 10 * SHORT_RUN;

interface BenchResult {
  readonly messages: number;
  readonly acked: number;
  readonly peak_rss_mb: number;
}

/**
 * The environment without LOOPSCOPE_* or NODE_OPTIONS (tsx sets some), debug mode on,
 * loopscope's rendezvous directory in this test file's XDG_RUNTIME_DIR.
 */
function debugEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("LOOPSCOPE_") && key !== "NODE_OPTIONS") env[key] = value;
  }
  return { ...env, LOOPSCOPE_DEBUG: "1", XDG_RUNTIME_DIR: testRuntimeDir() };
}

/** `mayhem bench --messages <messages> --runs 1` with loopscope in debug mode: its JSON line. */
function bench(messages: number): Promise<BenchResult> {
  const args = ["--import", "loopscope/register", cli, "bench"];
  args.push("--messages", String(messages), "--runs", "1");
  const child = spawn(process.execPath, args, {
    cwd: packageDir,
    env: debugEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      const line = stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .at(-1);
      if (code !== 0 || line === undefined) {
        reject(new Error(`bench ${messages} ended (${code ?? signal}):\n${stdout}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(line) as BenchResult);
    });
  });
}

describe("mayhem in loopscope's debug mode", () => {
  before(() => {
    assert.ok(existsSync(cli), "the built CLI is missing: run `npm run build` at the root");
  });

  it(
    "keeps memory flat: 10 times the messages, nowhere near 10 times the peak RSS",
    {
      timeout: 180_000,
    },
    async () => {
      // One after the other: two at once would only compete for the machine's cores.
      const short = await bench(SHORT_RUN);
      const long = await bench(LONG_RUN);
      assert.equal(short.messages, SHORT_RUN);
      assert.equal(long.messages, LONG_RUN);
      assert.ok(long.acked > LONG_RUN / 2, `the long run did the work: ${JSON.stringify(long)}`);
      assert.ok(short.peak_rss_mb > 0 && long.peak_rss_mb > 0, JSON.stringify({ short, long }));
      assert.ok(
        long.peak_rss_mb < short.peak_rss_mb * MAX_GROWTH,
        `peak RSS ${short.peak_rss_mb} MB after ${SHORT_RUN} messages, ${long.peak_rss_mb} MB after ${LONG_RUN} (at most ${MAX_GROWTH}x)`,
      );
    },
  );
});
