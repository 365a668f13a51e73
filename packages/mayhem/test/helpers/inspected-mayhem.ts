import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { childEnv } from "./child-env.js";

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** The built `mayhem run`, with loopscope's inspector on (its default), for the inspector's clients' tests. */
export interface InspectedMayhem {
  readonly child: ChildProcess;
  /** The inspector's URL with its token, as Mayhem printed it on stderr. */
  readonly url: string;
  /** Everything Mayhem wrote on stderr so far. */
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Start Mayhem on the embedded broker, seeded (instance names, latencies, failures), with
 * messages about every 0–200 ms, each handled for up to a second: a few pending tasks at
 * any time. Resolves once its inspector listens.
 */
export async function startInspectedMayhem(): Promise<InspectedMayhem> {
  assert.ok(existsSync(CLI), `${CLI} is missing: run \`npm run build\` at the root first`);
  const child = spawn(
    process.execPath,
    [CLI, "run", "--seed", "1", "--publish-max-interval-ms", "200", "--log-level", "error"],
    { env: childEnv({ MAYHEM_LOG_FORMAT: "json" }), stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      const match = /loopscope: inspector at (http:\/\/\S+\/\?token=\S+)\n/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`mayhem ended (${code ?? signal}) before its inspector:\n${stderr}`)),
    );
  });
  return { child, url, stderr: () => stderr, exited };
}
