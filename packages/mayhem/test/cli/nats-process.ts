/**
 * Runs the built `mayhem` CLI as a child process against a test nats-server and
 * reads its JSON log lines: which messages it pulled and acked, with their
 * delivery attempts. Used by the process-level NATS fault tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { childEnv } from "../helpers/child-env.js";

export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** One JSON log line of the service. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly messageId?: string;
  readonly deliveryAttempt?: number;
  readonly [key: string]: unknown;
}

/** A running `mayhem run` and what its logs said so far. */
export interface MayhemProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  /** messageId → times this process acked it. */
  readonly acked: Map<string, number>;
  /** messageId → the delivery attempts this process was handed. */
  readonly pulled: Map<string, number[]>;
  /** Everything that was not a JSON line (stderr included), for failure messages. */
  other: string;
  /** Resolves with the first line satisfying `test` (at once if one already did). */
  waitFor(test: (line: LogLine) => boolean, what: string, limitMs?: number): Promise<LogLine>;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The `--broker` and `--nats-*` flags for one isolated topology. */
export interface Topology {
  readonly url: string;
  readonly stream: string;
  readonly subject: string;
  readonly durable: string;
  readonly deadLetterSubject: string;
}

export function topologyFlags(t: Topology): string[] {
  return [
    "--broker",
    t.url,
    "--nats-stream",
    t.stream,
    "--nats-subject",
    t.subject,
    "--nats-durable",
    t.durable,
    "--nats-dead-letter-subject",
    t.deadLetterSubject,
  ];
}

/** Starts `mayhem run` with JSON logs on the topology, plus `args` (no `MAYHEM_*`/`LOOPSCOPE_*` from this environment). */
export function startMayhem(t: Topology, args: string[]): MayhemProcess {
  const child = spawn(
    process.execPath,
    [CLI, "run", ...topologyFlags(t), "--log-format", "json", ...args],
    { env: childEnv(), stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const waiters: { test: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  const proc: MayhemProcess = {
    child,
    lines: [],
    acked: new Map(),
    pulled: new Map(),
    other: "",
    exited,
    waitFor(test, what, limitMs = 20_000) {
      const found = proc.lines.find(test);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { test, resolve: (line: LogLine) => (clearTimeout(timer), resolve(line)) };
        // Only bounds a failing test; nothing is asserted about how long it took.
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`timed out waiting for ${what}; output:\n${tail(proc)}`));
        }, limitMs);
        waiters.push(waiter);
        void exited.then(() => {
          if (!waiters.includes(waiter)) return;
          waiters.splice(waiters.indexOf(waiter), 1);
          clearTimeout(timer);
          reject(new Error(`mayhem exited before ${what}; output:\n${tail(proc)}`));
        });
      });
    },
  };
  let partial = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    partial += chunk;
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const part of parts) {
      let line: LogLine;
      try {
        line = JSON.parse(part) as LogLine;
      } catch {
        proc.other += `${part}\n`;
        continue;
      }
      record(proc, line);
      for (const w of [...waiters]) {
        if (w.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (proc.other += chunk));
  return proc;
}

function record(proc: MayhemProcess, line: LogLine): void {
  proc.lines.push(line);
  const id = line.messageId;
  if (id === undefined) return;
  if (line.msg.startsWith("Done. Acked ")) proc.acked.set(id, (proc.acked.get(id) ?? 0) + 1);
  if (line.msg.startsWith("Pulled ") && typeof line.deliveryAttempt === "number") {
    const attempts = proc.pulled.get(id) ?? [];
    attempts.push(line.deliveryAttempt);
    proc.pulled.set(id, attempts);
  }
}

function tail(proc: MayhemProcess): string {
  const last = proc.lines
    .slice(-15)
    .map((l) => JSON.stringify(l))
    .join("\n");
  return `${last}\n${proc.other.slice(-2_000)}`;
}

/**
 * Runs a CLI command to its end; resolves with its exit code and output. The
 * child gets this environment without `MAYHEM_*`/`LOOPSCOPE_*`, plus `env`.
 */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const [code, signal] = (await once(child, "close")) as [number | null, NodeJS.Signals | null];
  return { code, signal, stdout, stderr };
}

/** Sends `signal` and waits for the exit. */
export async function stop(
  proc: MayhemProcess,
  signal: NodeJS.Signals = "SIGTERM",
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal);
  return proc.exited;
}

/** Every `messageId` stored in the stream, read with an ordered consumer (no acks, no durable). */
export async function streamMessageIds(t: Topology, count: number): Promise<Set<string>> {
  const nc = await connect({ servers: t.url });
  try {
    const consumer = await jetstream(nc).consumers.get(t.stream);
    const ids = new Set<string>();
    const messages = await consumer.fetch({ max_messages: count, expires: 5_000 });
    for await (const m of messages) {
      ids.add(m.json<{ messageId: string }>().messageId);
      if (ids.size === count) break;
    }
    return ids;
  } finally {
    await nc.close();
  }
}

/** Sums the acks of several processes per messageId. */
export function ackCounts(...procs: MayhemProcess[]): Map<string, number> {
  const all = new Map<string, number>();
  for (const p of procs) for (const [id, n] of p.acked) all.set(id, (all.get(id) ?? 0) + n);
  return all;
}
