/**
 * The dashboard's client of the inspector's API (../src/protocol/inspector.ts): typed
 * fetch helpers for the HTTP endpoints and {@link LiveSocket} for `/api/live`.
 *
 * Only types come from ../src (`import type`): the bundle must not carry Node code. The
 * token travels in an HttpOnly cookie the server set, never in a URL this page builds.
 */
import type {
  CancelAnswer,
  ErrorAnswer,
  FinishedTasksAnswer,
  InspectorStatus,
  LiveMessage,
  LiveRequest,
  LoopSamplesAnswer,
  PROTOCOL_VERSION as ProtocolVersion,
  RecentEventsAnswer,
  RecorderAnswer,
  TaskDetailAnswer,
  TaskQuery,
  TaskQueryAnswer,
} from "../src/protocol/index.js";

/** The only protocol this page reads; a copy, since the constant itself lives in Node code. */
export const PROTOCOL_VERSION: typeof ProtocolVersion = 1;

/** An answer the page cannot use: an HTTP error, an ErrorAnswer, or an unknown protocol. */
export class ApiError extends Error {
  constructor(
    message: string,
    /** The HTTP status, 0 when the request did not get an answer. */
    readonly status: number,
    /** ErrorAnswer's code, or `protocol` / `network`. */
    readonly code: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

function isErrorAnswer(body: unknown): body is ErrorAnswer {
  return typeof body === "object" && body !== null && "error" in body;
}

/** Throws unless `body` says it follows the protocol this page knows. */
export function checkProtocol(body: unknown): void {
  const protocol =
    typeof body === "object" && body !== null ? (body as { protocol?: unknown }).protocol : null;
  if (protocol !== PROTOCOL_VERSION) {
    throw new ApiError(
      `the inspector speaks protocol ${String(protocol)}; this page reads protocol ${PROTOCOL_VERSION}`,
      0,
      "protocol",
    );
  }
}

async function send(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, { credentials: "same-origin", cache: "no-store", ...init });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(`${path}: no answer (${String(error)})`, 0, "network");
  }
  if (!response.ok) throw await errorOf(path, response);
  return response;
}

async function errorOf(path: string, response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's page, say): the status line is all there is.
  }
  if (isErrorAnswer(body)) {
    return new ApiError(body.error.message, response.status, body.error.code);
  }
  return new ApiError(
    `${path}: HTTP ${response.status} ${response.statusText}`.trim(),
    response.status,
    "http",
  );
}

async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  const body: unknown = await (await send(path, init)).json();
  checkProtocol(body);
  return body as T;
}

/** The query string of a task query, with only the fields that are set. */
export function taskQueryString(query: TaskQuery): string {
  const params = new URLSearchParams();
  if (query.name) params.set("name", query.name);
  if (query.name && query.regex) params.set("regex", "1");
  if (query.state) params.set("state", query.state);
  if (query.minAgeMs !== undefined && query.minAgeMs > 0) {
    params.set("minAgeMs", String(query.minAgeMs));
  }
  if (query.site) params.set("site", query.site);
  if (query.group) params.set("group", query.group);
  if (query.sort) params.set("sort", query.sort);
  if (query.limit !== undefined) params.set("limit", String(query.limit));
  const text = params.toString();
  return text ? `?${text}` : "";
}

export const api = {
  status: (signal?: AbortSignal) => getJson<InspectorStatus>("/api/status", { signal }),
  tasks: (query: TaskQuery, signal?: AbortSignal) =>
    getJson<TaskQueryAnswer>(`/api/tasks${taskQueryString(query)}`, { signal }),
  task: (id: number, signal?: AbortSignal) =>
    getJson<TaskDetailAnswer>(`/api/tasks/${encodeURIComponent(id)}`, { signal }),
  finished: (limit = 200, signal?: AbortSignal) =>
    getJson<FinishedTasksAnswer>(`/api/finished?limit=${limit}`, { signal }),
  events: (limit = 200, signal?: AbortSignal) =>
    getJson<RecentEventsAnswer>(`/api/events?limit=${limit}`, { signal }),
  loop: (signal?: AbortSignal) => getJson<LoopSamplesAnswer>("/api/loop", { signal }),
  /** The flight recorder's last seconds (the server's default bound of entries). */
  recorder: (signal?: AbortSignal) => getJson<RecorderAnswer>("/api/recorder", { signal }),
  cancel: (id: number) =>
    getJson<CancelAnswer>(`/api/tasks/${encodeURIComponent(id)}/cancel`, { method: "POST" }),
  /** A CPU profile of `seconds`, as the `.cpuprofile` body (Chrome DevTools' format). */
  async profile(seconds: number, signal?: AbortSignal): Promise<Blob> {
    const response = await send(`/api/profile?seconds=${seconds}`, { method: "POST", signal });
    return response.blob();
  },
};

export type ConnectionState =
  | { readonly kind: "connecting"; readonly attempt: number }
  | { readonly kind: "open" }
  | { readonly kind: "closed"; readonly retryAt: number; readonly attempt: number };

export interface LiveSocketHandlers {
  onMessage(message: LiveMessage): void;
  onState(state: ConnectionState): void;
  /** A message the page refuses: not JSON, or another protocol. */
  onRefused(reason: string): void;
}

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 15_000;

/**
 * The live channel, reconnecting with exponential backoff (with jitter, so many tabs do
 * not come back in step after a restart). The subscription is remembered and sent again
 * on every (re)connect.
 */
export class LiveSocket {
  private socket: WebSocket | null = null;
  private subscription: LiveRequest = { type: "subscribe" };
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(
    private readonly handlers: LiveSocketHandlers,
    private readonly url = LiveSocket.defaultUrl(),
  ) {}

  static defaultUrl(): string {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/api/live`;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.socket?.close(1000, "page closed");
    this.socket = null;
  }

  /** Sets the task query the server pushes answers for, replacing the last one. */
  subscribe(tasks: TaskQuery): void {
    this.subscription = { type: "subscribe", tasks };
    this.sendSubscription();
  }

  private sendSubscription(): void {
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(this.subscription));
    }
  }

  private connect(): void {
    this.retryTimer = null;
    this.handlers.onState({ kind: "connecting", attempt: this.attempt });
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.attempt = 0;
      this.handlers.onState({ kind: "open" });
      this.sendSubscription();
    });
    socket.addEventListener("message", (event: MessageEvent) => this.receive(event.data));
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (!this.stopped) this.scheduleRetry();
    });
  }

  private receive(data: unknown): void {
    if (typeof data !== "string") {
      this.handlers.onRefused("the live channel sent a binary message");
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      this.handlers.onRefused("the live channel sent a message that is not JSON");
      return;
    }
    try {
      checkProtocol(message);
    } catch (error) {
      this.handlers.onRefused((error as Error).message);
      return;
    }
    this.handlers.onMessage(message as LiveMessage);
  }

  private scheduleRetry(): void {
    this.attempt += 1;
    const base = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (this.attempt - 1));
    const delay = base / 2 + Math.random() * (base / 2);
    this.handlers.onState({ kind: "closed", retryAt: Date.now() + delay, attempt: this.attempt });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
