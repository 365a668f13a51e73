import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import { Socket } from "node:net";
import type { MessagePort } from "node:worker_threads";
import type {
  InspectorStatus,
  LoopSample,
  LoopSamplesAnswer,
  LoopscopeEvent,
  RecentEventsAnswer,
  TaskQuery,
} from "../../protocol/index.js";
import { PROTOCOL_VERSION } from "../../protocol/index.js";
import { TaskQueryError, parseTaskQuery, taskQueryKey } from "../task-query.js";
import type {
  InspectorThreadData,
  ProcessFacts,
  Question,
  ToMain,
  ToServer,
} from "../thread-protocol.js";
import type { Asset } from "./assets.js";
import { loadAssets } from "./assets.js";
import { TokenCheck, tokenCookie } from "./auth.js";
import { BlockedWatch } from "./blocked-watch.js";
import { LiveChannel, refuseUpgrade } from "./live.js";
import type { LinkAnswer } from "./main-link.js";
import { MainThreadLink } from "./main-link.js";
import { MAX_PROFILE_SECONDS, MainThreadProfiler, ProfilerBusyError } from "./profiler.js";

/** Every answer's headers: nothing cached, nothing framed, no inline code, no referrer. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

const MAX_EVENTS = 500;
/** Ten minutes of one-second samples. */
const MAX_SAMPLES = 600;
const DEFAULT_LIST_LIMIT = 100;
/** The flight recorder's entries per answer: by default, and at most (all the recorder keeps). */
const DEFAULT_RECORDER_LIMIT = 1_000;
const MAX_RECORDER_LIMIT = 4_096;
/** A cancel waits for the main thread this long: it applies when the loop turns. */
const CANCEL_TIMEOUT_MS = 30_000;
/** How often status and each client's task query are pushed on the live channel. */
const PUSH_INTERVAL_MS = 1_000;

/** A request the server refuses: status, code, message. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The inspector's server, in its own thread: the HTTP endpoints and the live channel of
 * `protocol/inspector.ts`, the dashboard's files, the token check. It keeps what it can
 * answer without the main thread (recent events, loop samples, the last answers) and asks
 * the main thread for the rest.
 */
export class InspectorServer {
  readonly #data: InspectorThreadData;
  readonly #port: MessagePort;
  readonly #token: TokenCheck;
  readonly #link: MainThreadLink;
  readonly #blocked: BlockedWatch;
  readonly #profiler = new MainThreadProfiler();
  readonly #live: LiveChannel;
  readonly #assets: { index: Asset; files: ReadonlyMap<string, Asset> };
  readonly #server: Server;
  readonly #events: LoopscopeEvent[] = [];
  readonly #samples: LoopSample[] = [];
  #eventsDropped = 0;
  #badRequests = 0;
  #slowClients = 0;
  #facts: ProcessFacts | undefined;
  #push: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(data: InspectorThreadData, port: MessagePort) {
    this.#data = data;
    this.#port = port;
    this.#token = new TokenCheck(data.token);
    this.#link = new MainThreadLink(port, data.answerTimeoutMs);
    this.#blocked = new BlockedWatch(data.heartbeat);
    this.#assets = loadAssets(data.assetsDir);
    this.#live = new LiveChannel({
      admit: (request) => this.#admitLive(request),
      refused: () => void this.#badRequests++,
      droppedSlow: () => void this.#slowClients++,
      answerTasks: (query, key) => this.#answerTasks(query, key),
      status: () => ({ protocol: PROTOCOL_VERSION, type: "hello", status: this.#status() }),
    });
    this.#server = createServer(
      {
        // Short limits, not Node's defaults (a 60 s idle socket, 300 s per request): a slow
        // or half-open client holds a socket for seconds, not minutes.
        maxHeaderSize: 8_192,
        requestTimeout: 10_000,
        headersTimeout: 5_000,
        keepAliveTimeout: 5_000,
        connectionsCheckingInterval: 1_000,
      },
      (request, response) => void this.#handle(request, response),
    );
    this.#server.maxConnections = 128;
    this.#server.maxHeadersCount = 64;
    this.#server.setTimeout(15_000, (socket) => socket.destroy());
    this.#server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
      // A net.Socket here; typed as any Duplex.
      const bytesRead = socket instanceof Socket ? socket.bytesRead : 1;
      const status = clientErrorStatus(error, bytesRead);
      if (status !== undefined) {
        this.#badRequests++;
        if (socket.writable)
          socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      }
      socket.destroy();
    });
    this.#server.on("upgrade", (request: IncomingMessage, socket, head: Buffer) => {
      if (pathOf(request) !== "/api/live") {
        this.#badRequests++;
        refuseUpgrade(socket, "404 Not Found");
        return;
      }
      this.#live.upgrade(request, socket, head);
    });
  }

  start(): void {
    this.#server.once("error", (error: NodeJS.ErrnoException) => {
      this.#send({
        type: "failed",
        message: `cannot listen on ${this.#data.host}:${this.#data.port}: ${error.message}`,
        ...(error.code === undefined ? {} : { code: error.code }),
      });
    });
    this.#server.listen(this.#data.port, this.#data.host, () => {
      // Told to stop before it listened: close at once, so the thread ends now.
      if (this.#stopped) {
        this.#server.close();
        return;
      }
      const address = this.#server.address();
      if (address === null || typeof address === "string") return;
      this.#send({ type: "listening", host: address.address, port: address.port });
      this.#push = setInterval(() => this.#pushLive(), PUSH_INTERVAL_MS);
    });
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#push !== undefined) clearInterval(this.#push);
    this.#live.close();
    this.#server.close();
    this.#server.closeAllConnections();
    this.#port.close();
  }

  /** A message from the main thread. */
  received(message: ToServer): void {
    switch (message.type) {
      case "facts":
        this.#facts = message.facts;
        this.#blocked.factsArrived();
        break;
      case "loop-sample":
        push(this.#samples, message.sample, MAX_SAMPLES);
        this.#live.broadcast({
          protocol: PROTOCOL_VERSION,
          type: "loop-sample",
          sample: message.sample,
        });
        break;
      case "event":
        if (push(this.#events, message.event, MAX_EVENTS)) this.#eventsDropped++;
        this.#live.broadcast({ protocol: PROTOCOL_VERSION, type: "event", event: message.event });
        break;
      case "answer":
        this.#link.answered(message.id, message.status, message.body);
        break;
      case "blocked-capture":
        this.#blocked.captured(message.seq, message.stack, message.task);
        // Clients learn at once, without waiting for the next push.
        this.#live.broadcast(this.#status());
        break;
      case "stop":
        this.stop();
        break;
    }
  }

  #send(message: ToMain): void {
    this.#port.postMessage(message);
  }

  #pushLive(): void {
    if (this.#live.size === 0) return;
    this.#live.broadcast(this.#status());
    void this.#live.pushTasks();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
      if (hasBody(request)) {
        response.setHeader("Connection", "close");
        throw new Refusal(413, "LOOPSCOPE_ERR_INSPECT_REQUEST", "requests carry no body");
      }
      const url = parseUrl(request.url);
      const method = request.method ?? "GET";
      // The dashboard's first load may carry the token; it moves to a cookie at once, so it
      // stays out of the history, bookmarks and the Referer of anything the page loads.
      if (url.pathname === "/" && url.searchParams.has("token")) {
        if (!this.#token.matches(url.searchParams.get("token") ?? undefined)) throw unauthorized();
        response.writeHead(303, {
          Location: "/",
          "Set-Cookie": tokenCookie(this.#data.token, request.socket.localPort),
        });
        response.end();
        return;
      }
      if (!this.#token.allows(request)) throw unauthorized();
      await this.#route(method, url, request, response);
    } catch (error) {
      const refusal =
        error instanceof Refusal
          ? error
          : new Refusal(
              500,
              "LOOPSCOPE_ERR_INSPECT_SERVER",
              error instanceof Error ? error.message : String(error),
            );
      if (refusal.status < 500) this.#badRequests++;
      if (response.headersSent) {
        response.destroy();
        return;
      }
      sendJson(
        response,
        refusal.status,
        JSON.stringify({
          protocol: PROTOCOL_VERSION,
          error: { code: refusal.code, message: refusal.message },
        }),
      );
    }
  }

  async #route(
    method: string,
    url: URL,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const path = url.pathname;
    const reading = method === "GET" || method === "HEAD";
    if (path === "/" || path === "/index.html") {
      requireMethod(reading);
      return sendAsset(response, this.#assets.index);
    }
    if (path.startsWith("/assets/")) {
      requireMethod(reading);
      const asset = this.#assets.files.get(path.slice("/assets/".length));
      if (asset === undefined) throw notFound();
      return sendAsset(response, asset);
    }
    if (path === "/api/status") {
      requireMethod(reading);
      noParameters(url);
      return sendJson(response, 200, JSON.stringify(this.#status()));
    }
    if (path === "/api/tasks") {
      requireMethod(reading);
      const query = readQuery(url);
      // With the answer's own status: a 503 when the main thread is blocked and nothing was kept.
      return this.#answer(response, { kind: "tasks", query }, tasksKey(taskQueryKey(query)));
    }
    const task = /^\/api\/tasks\/(\d{1,15})(\/cancel)?$/.exec(path);
    if (task !== null) {
      const id = Number(task[1]);
      noParameters(url);
      if (task[2] === undefined) {
        requireMethod(reading);
        return this.#answer(response, { kind: "task", id }, `task:${id}`);
      }
      requireMethod(method === "POST");
      if (!this.#data.control) {
        throw new Refusal(
          403,
          "LOOPSCOPE_ERR_INSPECT_CONTROL",
          "control actions are off: start the process with LOOPSCOPE_INSPECT_CONTROL=1 to cancel tasks",
        );
      }
      return this.#answer(response, { kind: "cancel", id }, `cancel:${id}`, CANCEL_TIMEOUT_MS);
    }
    if (path === "/api/finished") {
      requireMethod(reading);
      const limit = readLimit(url);
      return this.#answer(response, { kind: "finished", limit }, `finished:${limit}`);
    }
    if (path === "/api/events") {
      requireMethod(reading);
      const limit = readLimit(url);
      const body: RecentEventsAnswer = {
        protocol: PROTOCOL_VERSION,
        type: "events",
        events: this.#events.slice(-limit),
        dropped: this.#eventsDropped,
      };
      return sendJson(response, 200, JSON.stringify(body));
    }
    if (path === "/api/loop") {
      requireMethod(reading);
      noParameters(url);
      const body: LoopSamplesAnswer = {
        protocol: PROTOCOL_VERSION,
        type: "loop",
        samples: this.#samples,
      };
      return sendJson(response, 200, JSON.stringify(body));
    }
    if (path === "/api/recorder") {
      requireMethod(reading);
      const limit = readInteger(url, "limit", 1, MAX_RECORDER_LIMIT, DEFAULT_RECORDER_LIMIT, [
        "limit",
      ]);
      return this.#answer(response, { kind: "recorder", limit }, `recorder:${limit}`);
    }
    if (path === "/api/profile") {
      requireMethod(method === "POST");
      return this.#profile(url, request, response);
    }
    throw notFound();
  }

  async #profile(url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const seconds = readInteger(url, "seconds", 1, MAX_PROFILE_SECONDS, 5, ["seconds"]);
    if (this.#profiler.busy)
      throw new Refusal(
        409,
        "LOOPSCOPE_ERR_INSPECT_PROFILING",
        "a CPU profile is being taken; one at a time",
      );
    // The answer comes after the profile: no idle timeout may end it first.
    request.socket.setTimeout(0);
    const gone = new AbortController();
    response.on("close", () => gone.abort());
    let profile: string;
    try {
      profile = await this.#profiler.profile(seconds, gone.signal);
    } catch (error) {
      if (error instanceof ProfilerBusyError)
        throw new Refusal(409, "LOOPSCOPE_ERR_INSPECT_PROFILING", error.message);
      throw error;
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    response.setHeader(
      "Content-Disposition",
      `attachment; filename="loopscope-${this.#facts?.pid ?? "process"}-${stamp}.cpuprofile"`,
    );
    sendJson(response, 200, profile);
  }

  async #answer(
    response: ServerResponse,
    question: Question,
    key: string,
    timeoutMs?: number,
  ): Promise<void> {
    const answer = await this.#link.ask(question, key, timeoutMs);
    sendJson(response, answer.status, this.#wrap(answer));
  }

  #answerTasks(query: TaskQuery, key: string): Promise<string> {
    return this.#link
      .ask({ kind: "tasks", query }, tasksKey(key))
      .then((answer) => this.#wrap(answer));
  }

  /** The main thread's body with the protocol version, and whether it is fresh. */
  #wrap(answer: LinkAnswer): string {
    if (answer.status !== 200) return `{"protocol":${PROTOCOL_VERSION},${answer.body.slice(1)}`;
    const blocked = this.#blocked.now();
    const freshness = `"stale":${answer.stale}${blocked === undefined ? "" : `,"blocked":${JSON.stringify(blocked)}`}`;
    return `{"protocol":${PROTOCOL_VERSION},${freshness},${answer.body.slice(1)}`;
  }

  #status(): InspectorStatus {
    const facts = this.#facts;
    const status: { -readonly [K in keyof InspectorStatus]: InspectorStatus[K] } = {
      protocol: PROTOCOL_VERSION,
      type: "status",
      pid: facts?.pid ?? 0,
      node: facts?.node ?? process.version,
      command: facts?.command ?? "",
      uptimeMs: facts?.uptimeMs ?? 0,
      memory: facts?.memory ?? { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 },
      mode: facts?.mode ?? "production",
      control: this.#data.control,
      tasksPending: facts?.tasksPending ?? 0,
      dropped: {
        events: (facts?.eventsDropped ?? 0) + this.#eventsDropped,
        slowClients: this.#slowClients,
        badRequests: this.#badRequests,
      },
      time: facts?.time ?? 0,
    };
    const blocked = this.#blocked.now();
    if (blocked !== undefined) status.blocked = blocked;
    return status;
  }

  #admitLive(request: IncomingMessage): boolean {
    // A page of another origin cannot open it: the cookie is SameSite=Strict, and the origin must be ours.
    const origin = request.headers.origin;
    const sameOrigin = origin === undefined || origin === `http://${request.headers.host ?? ""}`;
    if (sameOrigin && this.#token.allows(request)) return true;
    this.#badRequests++;
    return false;
  }
}

/**
 * What to answer a connection Node's parser gave up on, or `undefined` for nothing.
 * A connection that sent nothing before the headers' timeout is idle, not bad: browsers
 * open spare ones ahead of need. An answer written into it is read as the answer to the
 * request the browser sends on it later (a dashboard's fetch got a 400 so), and a 408
 * where something was sent is what browsers retry on.
 */
function clientErrorStatus(error: NodeJS.ErrnoException, bytesRead: number): string | undefined {
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT")
    return bytesRead === 0 ? undefined : "408 Request Timeout";
  if (error.code === "HPE_HEADER_OVERFLOW") return "431 Request Header Fields Too Large";
  return "400 Bad Request";
}

/** Append, dropping the oldest past `max`; says whether one was dropped. */
function push<T>(list: T[], item: T, max: number): boolean {
  list.push(item);
  if (list.length <= max) return false;
  list.shift();
  return true;
}

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers["content-length"];
  return (
    (length !== undefined && length !== "0") || request.headers["transfer-encoding"] !== undefined
  );
}

/**
 * The request's URL. A request line Node accepts can still be no URL (`GET // HTTP/1.1`):
 * that is the client's fault, 400, not a server error (it was a 500 naming the exception).
 */
function parseUrl(target: string | undefined): URL {
  try {
    return new URL(target ?? "/", "http://inspector");
  } catch {
    throw new Refusal(400, "LOOPSCOPE_ERR_INSPECT_REQUEST", "the request's target is not a URL");
  }
}

function pathOf(request: IncomingMessage): string {
  try {
    return new URL(request.url ?? "/", "http://inspector").pathname;
  } catch {
    return "";
  }
}

function unauthorized(): Refusal {
  return new Refusal(
    401,
    "LOOPSCOPE_ERR_INSPECT_TOKEN",
    "a valid token is required (Authorization: Bearer <token>, or the URL printed at start)",
  );
}

function notFound(): Refusal {
  return new Refusal(404, "LOOPSCOPE_ERR_INSPECT_NOT_FOUND", "no such endpoint");
}

function requireMethod(allowed: boolean): void {
  if (!allowed) throw new Refusal(405, "LOOPSCOPE_ERR_INSPECT_METHOD", "method not allowed here");
}

function noParameters(url: URL): void {
  if (url.search !== "")
    throw new Refusal(400, "LOOPSCOPE_ERR_INSPECT_REQUEST", "this endpoint takes no parameters");
}

function readQuery(url: URL): TaskQuery {
  // No prototype: with `{}`, a single `constructor` parameter was refused as "given twice"
  // (`in` saw Object.prototype's) and `__proto__=1` set the prototype, so the unknown
  // parameter vanished and was accepted.
  const fields = Object.create(null) as Record<string, string>;
  for (const [name, value] of url.searchParams) {
    if (Object.hasOwn(fields, name))
      throw new Refusal(
        400,
        "LOOPSCOPE_ERR_INSPECT_REQUEST",
        `${name.slice(0, 40)} is given twice`,
      );
    fields[name] = value;
  }
  try {
    return parseTaskQuery(fields);
  } catch (error) {
    if (error instanceof TaskQueryError)
      throw new Refusal(400, "LOOPSCOPE_ERR_INSPECT_REQUEST", error.message);
    throw error;
  }
}

function readLimit(url: URL): number {
  return readInteger(url, "limit", 1, 1_000, DEFAULT_LIST_LIMIT, ["limit"]);
}

function readInteger(
  url: URL,
  name: string,
  min: number,
  max: number,
  fallback: number,
  allowed: readonly string[],
): number {
  for (const key of url.searchParams.keys()) {
    if (!allowed.includes(key))
      throw new Refusal(
        400,
        "LOOPSCOPE_ERR_INSPECT_REQUEST",
        `unknown parameter "${key.slice(0, 40)}"`,
      );
  }
  // Given twice is refused, as on /api/tasks (it took the first and ignored the rest).
  if (url.searchParams.getAll(name).length > 1)
    throw new Refusal(400, "LOOPSCOPE_ERR_INSPECT_REQUEST", `${name} is given twice`);
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!/^\d{1,9}$/.test(raw) || value < min || value > max) {
    throw new Refusal(
      400,
      "LOOPSCOPE_ERR_INSPECT_REQUEST",
      `${name} must be an integer from ${min} to ${max}`,
    );
  }
  return value;
}

function sendJson(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
  });
  response.end(body);
}

function sendAsset(response: ServerResponse, asset: Asset): void {
  response.writeHead(200, {
    "Content-Type": asset.contentType,
    "Content-Length": asset.body.length,
  });
  response.end(asset.body);
}

/** The main link's key of a task query: the live channel and `GET /api/tasks` share answers. */
function tasksKey(queryKey: string): string {
  return `tasks:${queryKey}`;
}
