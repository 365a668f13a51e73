import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import { isMainThread } from "node:worker_threads";
import { TOKEN_PATTERN } from "../config/index.js";
import { LoopscopeError } from "../errors/index.js";
import { eventStats, onEvent } from "../events/index.js";
import type { InspectorAddress, LoopscopeEvent } from "../protocol/index.js";
import { PROTOCOL_VERSION } from "../protocol/index.js";
import { isDebugTracking, keepFinishedTasks, pendingTaskCount } from "../tasks/index.js";
import {
  onBlockedCapture,
  startLoopscopeThread,
  threadEntry,
  watchdogHeartbeat,
} from "../watchdog/index.js";
import { LoopMetricsCollector } from "../metrics/index.js";
import { answer } from "./answers.js";
import type { InspectorThreadData, ProcessFacts, ToServer } from "./thread-protocol.js";
import { isToMain } from "./thread-protocol.js";

/** Options of {@link startInspector}. */
export interface InspectorOptions {
  /** The interface to listen on. Default `127.0.0.1`; anything else is open to the network. */
  readonly host?: string;
  /** The port; 0 (the default) takes a free one. */
  readonly port?: number;
  /** The token every request must carry; random when not given (see `TOKEN_PATTERN`). */
  readonly token?: string;
  /** Allow control actions (cancelling a task). Default `false`. */
  readonly control?: boolean;
}

/** A running inspector. */
export interface Inspector {
  /** Resolves with the address and token once the server listens; rejects if it cannot. */
  readonly ready: Promise<InspectorAddress>;
  /** Stop serving. Idempotent. */
  stop(): Promise<void>;
}

/** The inspector cannot start. Codes: `LOOPSCOPE_ERR_INSPECT_RUNNING`, `LOOPSCOPE_ERR_INSPECT_THREAD`, `LOOPSCOPE_ERR_INSPECT_LISTEN`. */
export class InspectorError extends LoopscopeError {}

/** The main thread's facts and loop samples: once a second. */
const SAMPLE_INTERVAL_MS = 1_000;
/** Events forwarded to the server thread a second, at most: a flood is counted, not queued. */
const MAX_EVENTS_PER_SECOND = 200;
/** How long the server waits for the main thread before answering with what it kept. */
const ANSWER_TIMEOUT_MS = 250;
const STOP_GRACE_MS = 1_000;

let running: InspectorImpl | undefined;

/**
 * Serve the inspector: a web dashboard and its JSON and WebSocket protocol
 * (`protocol/inspector.ts`), from a worker thread, so it answers while the main loop is
 * blocked. Every request needs the token. Never keeps the process alive.
 *
 * @throws TypeError naming the option when one is invalid.
 * @throws {@link InspectorError} `LOOPSCOPE_ERR_INSPECT_RUNNING` when one is running,
 *   `LOOPSCOPE_ERR_INSPECT_THREAD` off the main thread.
 * @example
 * ```ts
 * const inspector = startInspector({ port: 0 });
 * const { url, token } = await inspector.ready;
 * ```
 */
export function startInspector(options: InspectorOptions = {}): Inspector {
  const checked = checkOptions(options);
  if (!isMainThread) {
    throw new InspectorError(
      "LOOPSCOPE_ERR_INSPECT_THREAD",
      "startInspector: the inspector watches the main thread; call it on the main thread",
    );
  }
  if (running !== undefined) {
    throw new InspectorError(
      "LOOPSCOPE_ERR_INSPECT_RUNNING",
      "startInspector: an inspector is already running in this process; stop it first",
    );
  }
  running = new InspectorImpl(checked);
  return running;
}

interface CheckedOptions {
  host: string;
  port: number;
  token: string;
  control: boolean;
}

function checkOptions(options: InspectorOptions): CheckedOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`startInspector: options must be an object, got ${String(options)}`);
  }
  const { host = "127.0.0.1", port = 0, token = randomToken(), control = false } = options;
  if (typeof host !== "string" || host === "") {
    throw new TypeError(
      `startInspector: options.host must be a host name or address, got ${String(host)}`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(
      `startInspector: options.port must be an integer from 0 to 65535, got ${String(port)}`,
    );
  }
  if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) {
    throw new TypeError(
      "startInspector: options.token must be 16 to 256 characters of A-Z, a-z, 0-9, '.', '_', '~' and '-'",
    );
  }
  if (typeof control !== "boolean") {
    throw new TypeError(
      `startInspector: options.control must be a boolean, got ${String(control)}`,
    );
  }
  return { host, port, token, control };
}

/** 192 random bits, URL-safe. */
function randomToken(): string {
  return randomBytes(24).toString("base64url");
}

/** The dashboard's built files: beside this module in `dist/`, or in `dist/` when running from sources. */
function assetsDir(): string {
  const built = new URL("./ui/", import.meta.url);
  if (existsSync(built)) return fileURLToPath(built);
  return fileURLToPath(new URL("../../dist/inspector/ui/", import.meta.url));
}

class InspectorImpl implements Inspector {
  readonly ready: Promise<InspectorAddress>;
  readonly #worker: Worker;
  readonly #collector: LoopMetricsCollector;
  readonly #stopHistory: () => void;
  readonly #stopEvents: () => void;
  #listening = false;
  #eventsThisSecond = 0;
  #eventsSkipped = 0;
  #stopping: Promise<void> | undefined;

  constructor(options: CheckedOptions) {
    const data: InspectorThreadData = {
      host: options.host,
      port: options.port,
      token: options.token,
      control: options.control,
      assetsDir: assetsDir(),
      heartbeat: watchdogHeartbeat(),
      answerTimeoutMs: ANSWER_TIMEOUT_MS,
    };
    this.#worker = startLoopscopeThread(
      threadEntry("./server/worker", import.meta.url),
      "loopscope-inspector",
      data,
    );
    this.ready = new Promise<InspectorAddress>((resolve, reject) => {
      this.#worker.on("message", (message: unknown) => {
        if (!isToMain(message)) return;
        switch (message.type) {
          case "listening": {
            this.#listening = true;
            const host = message.host.includes(":") ? `[${message.host}]` : message.host;
            resolve({
              protocol: PROTOCOL_VERSION,
              pid: process.pid,
              url: `http://${host}:${message.port}/`,
              token: options.token,
            });
            break;
          }
          case "failed":
            reject(new InspectorError("LOOPSCOPE_ERR_INSPECT_LISTEN", message.message));
            void this.stop();
            break;
          case "ask": {
            const { status, body } = answer(message.question);
            this.#post({ type: "answer", id: message.id, status, body });
            break;
          }
        }
      });
      this.#worker.once("exit", () => {
        // Stopped, or ended, before it listened: settled either way (no-op once it has).
        reject(
          new InspectorError(
            "LOOPSCOPE_ERR_INSPECT_LISTEN",
            "the inspector stopped before it listened",
          ),
        );
      });
      this.#worker.on("error", (error) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        // Before it listens, `ready` says so; after, nothing else would: the dashboard
        // would just stop answering.
        if (this.#listening) {
          process.emitWarning(
            `loopscope inspector: its server failed and stopped (${failure.message})`,
            {
              code: "LOOPSCOPE_WARN_INSPECTOR",
            },
          );
        }
        reject(failure);
        void this.stop();
      });
    });
    // Whoever awaits `ready` sees the failure; nobody else must get an unhandled rejection.
    // Until then the thread keeps the process up (a few milliseconds), so that `ready`
    // settles for whoever awaits it; after, it never does.
    // A stop() under way keeps it up until the thread ends: not undone here.
    const unref = (): void => {
      if (this.#stopping === undefined) this.#worker.unref();
    };
    this.ready.then(unref, unref);

    this.#stopHistory = keepFinishedTasks();
    this.#stopEvents = onEvent((event) => this.#forward(event));
    onBlockedCapture((capture) => this.#post({ type: "blocked-capture", ...capture }));
    this.#collector = new LoopMetricsCollector(SAMPLE_INTERVAL_MS, (sample) => {
      this.#eventsThisSecond = 0;
      this.#post({
        type: "loop-sample",
        sample: {
          time: sample.time,
          delayP50Ms: round(sample.delayP50Ms),
          delayP99Ms: round(sample.delayP99Ms),
          delayMaxMs: round(sample.delayMaxMs),
          utilization: Math.round(sample.utilization * 1000) / 1000,
          tasksPending: sample.tasksPending ?? 0,
        },
      });
      this.#post({ type: "facts", facts: this.#facts() });
    });
    this.#post({ type: "facts", facts: this.#facts() });
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (running === this) running = undefined;
    this.#collector.stop();
    this.#stopEvents();
    this.#stopHistory();
    onBlockedCapture(undefined);
    await new Promise<void>((resolve) => {
      // Whoever awaits stop() expects it to settle: keep the process up until the thread ends.
      this.#worker.ref();
      const grace = setTimeout(() => void this.#worker.terminate(), STOP_GRACE_MS);
      grace.unref();
      this.#worker.once("exit", () => {
        clearTimeout(grace);
        resolve();
      });
      this.#post({ type: "stop" });
    });
  }

  #forward(event: LoopscopeEvent): void {
    // The dump is what the tasks endpoints answer; as an event it would be the largest message.
    if (event.type === "task-dump") return;
    if (this.#eventsThisSecond >= MAX_EVENTS_PER_SECOND) {
      this.#eventsSkipped++;
      return;
    }
    this.#eventsThisSecond++;
    this.#post({ type: "event", event });
  }

  #facts(): ProcessFacts {
    const memory = process.memoryUsage();
    return {
      pid: process.pid,
      node: process.version,
      command: process.argv.slice(1).join(" "),
      uptimeMs: Math.round(process.uptime() * 1000),
      memory: {
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        heapTotal: memory.heapTotal,
        external: memory.external,
      },
      mode: isDebugTracking() ? "debug" : "production",
      tasksPending: pendingTaskCount(),
      time: Date.now(),
      eventsDropped: eventStats().dropped + this.#eventsSkipped,
    };
  }

  #post(message: ToServer): void {
    try {
      this.#worker.postMessage(message);
    } catch {
      // The thread is gone: the inspector is stopping.
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
