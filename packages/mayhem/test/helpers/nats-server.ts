/**
 * Starts a real `nats-server` with JetStream for the tests and benchmarks, on a
 * free port of 127.0.0.1 with a temporary store directory, in the manner of
 * nats.js's own test launcher (`nst/src/launcher.ts`).
 *
 * The server can be stopped, killed (SIGKILL) and restarted on the same port
 * and store directory, so a test can take the broker away from a running
 * client and give it back with its streams and consumers intact.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { accessSync, constants as fsConstants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as tcpConnect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

const BINARY = "nats-server";
const FALLBACK_DIRS = ["/usr/sbin", "/usr/local/bin", "/usr/bin"];
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** Where `nats-server` lives: PATH first, then the usual system folders; `undefined` if nowhere. */
export function findNatsServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), ...FALLBACK_DIRS];
  for (const dir of dirs) {
    if (dir === "") continue;
    const candidate = join(dir, BINARY);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/**
 * Whether the NATS tests can run. Returns `true` when the binary is present.
 * When it is missing: with `CI=true` it throws (CI must not skip silently);
 * otherwise it prints a loud reason to stderr once and returns the reason, for
 * `node:test`'s `skip` option.
 */
export function natsServerAvailable(): true | string {
  if (findNatsServer() !== undefined) return true;
  const reason =
    "nats-server not found on PATH or in /usr/sbin: NATS tests SKIPPED " +
    "(install it with `apt-get install -y nats-server`; .ci/run does so)";
  if (process.env.CI === "true") {
    throw new Error(`${reason}; CI=true requires it`);
  }
  if (!warned) {
    warned = true;
    process.stderr.write(`\n*** ${reason} ***\n\n`);
  }
  return reason;
}
let warned = false;

/** A free TCP port on 127.0.0.1 (the OS picks it; a tiny race with other processes is accepted). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("could not read the port of a probe server"));
      });
    });
  });
}

/** A running `nats-server` owned by a test. */
export class NatsServer {
  readonly port: number;
  readonly storeDir: string;
  readonly binary: string;
  #child: ChildProcess | undefined;
  #output = "";

  private constructor(binary: string, port: number, storeDir: string) {
    this.binary = binary;
    this.port = port;
    this.storeDir = storeDir;
  }

  /** Starts a fresh server with JetStream on a free port and a new store directory. */
  static async start(): Promise<NatsServer> {
    const binary = findNatsServer();
    if (binary === undefined) {
      throw new Error(
        "nats-server not found on PATH or in /usr/sbin (apt-get install -y nats-server)",
      );
    }
    const storeDir = await mkdtemp(join(tmpdir(), "mayhem-nats-"));
    const server = new NatsServer(binary, await freePort(), storeDir);
    try {
      await server.#launch();
    } catch (error) {
      await rm(storeDir, { recursive: true, force: true });
      throw error;
    }
    return server;
  }

  /** `nats://127.0.0.1:<port>`. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** The server's pid while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Whatever the server printed (for failure messages). */
  get output(): string {
    return this.#output;
  }

  /** Graceful stop (SIGTERM); resolves when the process has exited. Keeps the store. */
  async stop(): Promise<void> {
    await this.#signal("SIGTERM");
  }

  /** Abrupt stop (SIGKILL); resolves when the process has exited. Keeps the store. */
  async kill(): Promise<void> {
    await this.#signal("SIGKILL");
  }

  /** Starts the server again on the same port and store directory. */
  async restart(): Promise<void> {
    if (this.#child !== undefined) await this.stop();
    await this.#launch();
  }

  /** Stops the server and deletes its store directory. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#child !== undefined) await this.kill();
    await rm(this.storeDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  async #launch(): Promise<void> {
    const args = ["-js", "-a", "127.0.0.1", "-p", String(this.port), "-sd", this.storeDir];
    const child = spawn(this.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    const keep = (chunk: Buffer): void => {
      // Bounded: only the tail matters for a failure message.
      this.#output = (this.#output + chunk.toString()).slice(-8_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.once("exit", () => {
      if (this.#child === child) this.#child = undefined;
    });
    try {
      await this.#waitUntilAccepting(child);
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /** Polls the port until the server greets a TCP client with `INFO`, or the child exits. */
  async #waitUntilAccepting(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`nats-server exited before accepting connections:\n${this.#output}`);
      }
      if (await greets(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(
      `nats-server did not accept connections within ${READY_TIMEOUT_MS} ms:\n${this.#output}`,
    );
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    if (child.exitCode !== null || child.signalCode !== null) {
      this.#child = undefined;
      return;
    }
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), STOP_TIMEOUT_MS);
    });
    const outcome = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      child.kill("SIGKILL");
      await exited;
    }
    this.#child = undefined;
  }
}

/** True when something on the port answers with the NATS `INFO` greeting. */
async function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("data", (chunk) => finish(chunk.toString().startsWith("INFO")));
  });
}

/**
 * A bare nats-server on `port` with `args` (e.g. credentials it demands, to make a client
 * give up for good), once it says it is ready (nats-server logs to stderr).
 */
export async function launchNatsServer(port: number, args: string[]): Promise<ChildProcess> {
  const child = spawn(findNatsServer()!, ["-a", "127.0.0.1", "-p", String(port), ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("Server is ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`nats-server exited (${code}): ${log}`)));
  });
  return child;
}

export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}
