import type { MessagePort } from "node:worker_threads";
import type { Question, ToMain } from "../thread-protocol.js";

/** What the main thread answered, or what was kept of its last answer. */
export interface LinkAnswer {
  readonly status: number;
  readonly body: string;
  /** The main thread did not answer in time: this is its last answer to the same question. */
  readonly stale: boolean;
}

/** Questions waiting for the main thread, at most: past it, the server answers 503 at once. */
const MAX_WAITING = 256;
/** Last answers kept, one per distinct question. */
const MAX_KEPT = 64;

interface Waiting {
  readonly key: string;
  readonly waiters: ((answer: LinkAnswer) => void)[];
}

/**
 * The server thread's questions to the main thread. One question in flight per key
 * (identical questions share its answer); a question the main thread does not answer
 * within the timeout (its loop is blocked) is answered with the last answer kept for the
 * key, marked stale, or 503 when there is none. A late answer is still kept.
 */
export class MainThreadLink {
  readonly #port: MessagePort;
  readonly #timeoutMs: number;
  readonly #waiting = new Map<number, Waiting>();
  readonly #inFlight = new Map<string, number>();
  readonly #kept = new Map<string, { status: number; body: string }>();
  #nextId = 1;

  constructor(port: MessagePort, timeoutMs: number) {
    this.#port = port;
    this.#timeoutMs = timeoutMs;
  }

  /** Ask; `timeoutMs` (default: the link's) is how long to wait before answering with what was kept. */
  ask(question: Question, key: string, timeoutMs = this.#timeoutMs): Promise<LinkAnswer> {
    return new Promise((resolve) => {
      let settled = false;
      const once = (answer: LinkAnswer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(answer);
      };
      const timer = setTimeout(() => once(this.#stale(key)), timeoutMs);
      const inFlight = this.#inFlight.get(key);
      if (inFlight !== undefined) {
        this.#waiting.get(inFlight)?.waiters.push(once);
        return;
      }
      if (this.#waiting.size >= MAX_WAITING) {
        once(this.#stale(key));
        return;
      }
      const id = this.#nextId++;
      this.#waiting.set(id, { key, waiters: [once] });
      this.#inFlight.set(key, id);
      const message: ToMain = { type: "ask", id, question };
      this.#port.postMessage(message);
    });
  }

  /** The main thread's answer to question `id`. */
  answered(id: number, status: number, body: string): void {
    const waiting = this.#waiting.get(id);
    if (waiting === undefined) return;
    this.#waiting.delete(id);
    this.#inFlight.delete(waiting.key);
    if (status === 200) {
      this.#kept.delete(waiting.key);
      this.#kept.set(waiting.key, { status, body });
      if (this.#kept.size > MAX_KEPT) this.#kept.delete(this.#kept.keys().next().value!);
    }
    for (const waiter of waiting.waiters) waiter({ status, body, stale: false });
  }

  #stale(key: string): LinkAnswer {
    const kept = this.#kept.get(key);
    if (kept !== undefined) return { ...kept, stale: true };
    return {
      status: 503,
      body: JSON.stringify({
        error: {
          code: "LOOPSCOPE_ERR_INSPECT_BLOCKED",
          message:
            "the main thread did not answer in time (its loop is blocked) and no earlier answer was kept",
        },
      }),
      stale: true,
    };
  }
}
