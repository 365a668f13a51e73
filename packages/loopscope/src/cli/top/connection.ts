/**
 * `loopscope top`'s side of the inspector's protocol: HTTP for the first picture, a task's
 * detail and cancel; the live channel (a WebSocket) for everything that moves. It checks
 * the protocol version of every message and says when the process goes away.
 */
import { WebSocket } from "ws";
import type {
  CancelAnswer,
  ErrorAnswer,
  InspectorStatus,
  LiveMessage,
  LiveRequest,
  LoopSamplesAnswer,
  RecentEventsAnswer,
  TaskDetailAnswer,
  TaskQuery,
  TaskQueryAnswer,
} from "../../protocol/index.js";
import { PROTOCOL_VERSION } from "../../protocol/index.js";

/** An answer, or a message, in a protocol this loopscope does not read. */
export class ProtocolMismatchError extends Error {
  constructor(readonly protocol: unknown) {
    super(
      `the process speaks the inspector's protocol ${JSON.stringify(protocol)}; this loopscope reads protocol ${PROTOCOL_VERSION}: ` +
        "run the loopscope the process runs (its node_modules/.bin/loopscope)",
    );
    this.name = "ProtocolMismatchError";
  }
}

/** What the live channel delivers. */
export interface LiveListener {
  message(message: LiveMessage): void;
  /** The channel closed and the process (or its inspector) no longer answers. */
  gone(reason: string): void;
  /** A message in another protocol version: the connection is closed. */
  mismatch(error: ProtocolMismatchError): void;
}

/** Between the live channel closing and `top` saying the process is gone, it tries again this often. */
const RECONNECT_DELAY_MS = 1_000;
const RECONNECT_TRIES = 3;
const REQUEST_TIMEOUT_MS = 5_000;

export class InspectorConnection {
  readonly #base: URL;
  readonly #token: string;
  #socket: WebSocket | undefined;
  #listener: LiveListener | undefined;
  #query: TaskQuery | undefined;
  #closed = false;

  constructor(base: URL, token: string) {
    this.#base = base;
    this.#token = token;
  }

  /** The base URL, without the token: what the header may show. */
  get url(): string {
    return this.#base.href;
  }

  async status(): Promise<InspectorStatus> {
    return this.#get<InspectorStatus>("api/status");
  }

  async loopSamples(): Promise<LoopSamplesAnswer> {
    return this.#get<LoopSamplesAnswer>("api/loop");
  }

  async recentEvents(limit: number): Promise<RecentEventsAnswer> {
    return this.#get<RecentEventsAnswer>(`api/events?limit=${limit}`);
  }

  /** The answer to `query` now, rather than at the live channel's next push. */
  async tasks(query: TaskQuery): Promise<TaskQueryAnswer> {
    const parameters = new URLSearchParams();
    for (const [field, value] of Object.entries(query)) {
      if (value !== undefined) parameters.set(field, String(value));
    }
    return this.#get<TaskQueryAnswer>(`api/tasks?${parameters.toString()}`);
  }

  async taskDetail(id: number): Promise<TaskDetailAnswer> {
    return this.#get<TaskDetailAnswer>(`api/tasks/${id}`);
  }

  async cancel(id: number): Promise<CancelAnswer> {
    return this.#request<CancelAnswer>(`api/tasks/${id}/cancel`, "POST");
  }

  /** Open the live channel; `subscribe` sets (and later replaces) the task query it pushes. */
  open(listener: LiveListener): void {
    this.#listener = listener;
    this.#connect(0);
  }

  subscribe(query: TaskQuery): void {
    this.#query = query;
    this.#sendQuery();
  }

  close(): void {
    this.#closed = true;
    this.#socket?.terminate();
  }

  #connect(tries: number): void {
    const url = new URL("api/live", this.#base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url, {
      headers: { Authorization: `Bearer ${this.#token}` },
      perMessageDeflate: false,
      handshakeTimeout: REQUEST_TIMEOUT_MS,
    });
    this.#socket = socket;
    let opened = false;
    socket.on("open", () => {
      opened = true;
      this.#sendQuery();
    });
    socket.on("message", (data: Buffer) => {
      let message: LiveMessage;
      try {
        message = JSON.parse(data.toString("utf8")) as LiveMessage;
      } catch {
        return;
      }
      if (message.protocol !== PROTOCOL_VERSION) {
        this.#closed = true;
        socket.terminate();
        this.#listener?.mismatch(new ProtocolMismatchError(message.protocol));
        return;
      }
      this.#listener?.message(message);
    });
    // Errors end in "close", which decides what happens next.
    socket.on("error", () => undefined);
    socket.on("close", (code, reason) => {
      if (this.#closed) return;
      const why = reason.length > 0 ? `: ${String(reason)}` : "";
      if (code === 1008) {
        this.#listener?.gone(`the inspector closed the live channel (${code}${why})`);
        return;
      }
      // The inspector stopped, or the process ended: try again a few times; a process
      // that answers no more is gone.
      const next = opened ? 0 : tries + 1;
      if (next >= RECONNECT_TRIES) {
        this.#listener?.gone(
          `the process no longer answers at ${this.#base.host}: it has ended, or its inspector stopped`,
        );
        return;
      }
      setTimeout(() => {
        if (!this.#closed) this.#connect(next);
      }, RECONNECT_DELAY_MS).unref();
    });
  }

  #sendQuery(): void {
    const socket = this.#socket;
    if (socket?.readyState !== WebSocket.OPEN) return;
    const request: LiveRequest = {
      type: "subscribe",
      ...(this.#query === undefined ? {} : { tasks: this.#query }),
    };
    socket.send(JSON.stringify(request));
  }

  #get<T>(path: string): Promise<T> {
    return this.#request<T>(path, "GET");
  }

  async #request<T>(path: string, method: string): Promise<T> {
    const response = await fetch(new URL(path, this.#base), {
      method,
      headers: { Authorization: `Bearer ${this.#token}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await response.json()) as T & Partial<ErrorAnswer> & { protocol?: unknown };
    if (body.protocol !== PROTOCOL_VERSION) throw new ProtocolMismatchError(body.protocol);
    if (!response.ok) {
      throw new Error(body.error?.message ?? `${method} ${path}: ${response.status}`);
    }
    return body;
  }
}
