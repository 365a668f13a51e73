import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import { WebSocketServer } from "ws";
import type { LiveMessage, TaskQuery } from "../../protocol/index.js";
import { PROTOCOL_VERSION } from "../../protocol/index.js";
import { TaskQueryError, parseTaskQuery, taskQueryKey } from "../task-query.js";

/** A client whose unsent messages pass this is too slow: dropped, not buffered. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** A client message is a subscription: small. Larger frames close the connection. */
const MAX_MESSAGE_BYTES = 4_096;
const MAX_CLIENTS = 32;
/** A connection that does not answer two pings in a row is gone (half-open): ended. */
const PING_INTERVAL_MS = 10_000;

interface Client {
  readonly socket: WebSocket;
  query: TaskQuery | undefined;
  key: string | undefined;
  alive: boolean;
}

/** What the live channel needs of the rest of the server. */
export interface LiveHost {
  /** Whether the upgrade request may connect (token, origin); counts a refusal. */
  admit(request: IncomingMessage): boolean;
  /** Count a bad request (a malformed message, a bad frame). */
  refused(): void;
  /** Count a client dropped for reading too slowly. */
  droppedSlow(): void;
  /** The answer to a task query, as the HTTP endpoint would send it. */
  answerTasks(query: TaskQuery, key: string): Promise<string>;
  /** The `hello` message's status. */
  status(): LiveMessage;
}

/**
 * Answer an upgrade request with `status` and close the socket once the answer is written.
 * `end()` alone left it half-open: the HTTP server keeps sockets half-open (allowHalfOpen)
 * and no longer times out one it handed to the upgrade listener, so a client that never
 * closed its side held it forever, and 128 of them (`maxConnections`) shut everyone out.
 */
export function refuseUpgrade(socket: Duplex, status: string): void {
  socket.once("finish", () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** A close frame's reason is at most 123 bytes. */
const MAX_CLOSE_REASON_BYTES = 123;

/**
 * `message` cut to fit a close frame. Cut by bytes, not characters: `ws` throws past 123
 * bytes, and an error naming a client's non-ASCII field (`unknown field "€€€…"`) passed it
 * at 120 characters; the throw, in a message listener, ended the server's thread.
 */
export function closeReason(message: string): string {
  let reason = "";
  // By code points: a surrogate pair is never split.
  for (const char of message) {
    if (Buffer.byteLength(reason + char) > MAX_CLOSE_REASON_BYTES) break;
    reason += char;
  }
  return reason;
}

/**
 * The live channel: a WebSocket at `/api/live` (the `ws` library: it checks frames and
 * sizes, so a malformed one closes that connection only). The server pushes status,
 * loop samples and events to every client, and each client's task query about once a
 * second; a client sends only `{ type: "subscribe", tasks }`.
 */
export class LiveChannel {
  readonly #host: LiveHost;
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });
  readonly #clients = new Set<Client>();
  readonly #ping: NodeJS.Timeout;

  constructor(host: LiveHost) {
    this.#host = host;
    this.#ping = setInterval(() => this.#pingAll(), PING_INTERVAL_MS);
    this.#ping.unref();
  }

  get size(): number {
    return this.#clients.size;
  }

  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => undefined);
    if (!this.#host.admit(request)) {
      refuseUpgrade(socket, "401 Unauthorized");
      return;
    }
    if (this.#clients.size >= MAX_CLIENTS) {
      this.#host.refused();
      refuseUpgrade(socket, "503 Service Unavailable");
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#connected(ws));
  }

  /** Send to every client. */
  broadcast(message: LiveMessage): void {
    if (this.#clients.size === 0) return;
    const text = JSON.stringify(message);
    for (const client of this.#clients) this.#send(client, text);
  }

  /** Push each client's task query; identical queries are asked once. */
  async pushTasks(): Promise<void> {
    const byKey = new Map<string, { query: TaskQuery; clients: Client[] }>();
    for (const client of this.#clients) {
      if (client.query === undefined || client.key === undefined) continue;
      const entry = byKey.get(client.key);
      if (entry === undefined) byKey.set(client.key, { query: client.query, clients: [client] });
      else entry.clients.push(client);
    }
    await Promise.all(
      [...byKey].map(async ([key, { query, clients }]) => {
        const text = await this.#host.answerTasks(query, key);
        for (const client of clients) this.#send(client, text);
      }),
    );
  }

  close(): void {
    clearInterval(this.#ping);
    for (const client of this.#clients) client.socket.terminate();
    this.#clients.clear();
    this.#wss.close();
  }

  #connected(socket: WebSocket): void {
    const client: Client = { socket, query: undefined, key: undefined, alive: true };
    this.#clients.add(client);
    socket.on("message", (data, isBinary) => this.#received(client, data, isBinary));
    socket.on("pong", () => {
      client.alive = true;
    });
    socket.on("error", () => {
      // A bad frame, a frame past maxPayload: `ws` closes the connection after this.
      this.#host.refused();
    });
    socket.on("close", () => this.#clients.delete(client));
    this.#send(client, JSON.stringify(this.#host.status()));
  }

  #received(client: Client, data: unknown, isBinary: boolean): void {
    try {
      if (isBinary) throw new TaskQueryError("messages are JSON text");
      const text = Buffer.isBuffer(data) ? data.toString("utf8") : String(data);
      const request = JSON.parse(text) as unknown;
      if (
        typeof request !== "object" ||
        request === null ||
        (request as { type?: unknown }).type !== "subscribe"
      ) {
        throw new TaskQueryError('a message must be {"type":"subscribe","tasks":{...}}');
      }
      // Absent is no filter. `null` is not a TaskQuery (LiveRequest): refused like any other
      // non-object (`?? {}` took it for an absent one).
      const tasks = (request as { tasks?: unknown }).tasks;
      if (
        tasks !== undefined &&
        (typeof tasks !== "object" || tasks === null || Array.isArray(tasks))
      ) {
        throw new TaskQueryError("tasks must be an object");
      }
      client.query = parseTaskQuery((tasks ?? {}) as Record<string, unknown>);
      client.key = taskQueryKey(client.query);
      void this.#host
        .answerTasks(client.query, client.key)
        .then((answer) => this.#send(client, answer));
    } catch (error) {
      this.#host.refused();
      const message = error instanceof TaskQueryError ? error.message : "a message must be JSON";
      this.#send(
        client,
        JSON.stringify({
          protocol: PROTOCOL_VERSION,
          type: "error",
          error: { code: "LOOPSCOPE_ERR_INSPECT_REQUEST", message },
        }),
      );
      client.socket.close(1008, closeReason(message));
    }
  }

  #send(client: Client, text: string): void {
    const socket = client.socket;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.#clients.delete(client);
      this.#host.droppedSlow();
      socket.terminate();
      return;
    }
    socket.send(text);
  }

  #pingAll(): void {
    for (const client of this.#clients) {
      if (!client.alive) {
        this.#clients.delete(client);
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      try {
        client.socket.ping();
      } catch {
        // Closing already.
      }
    }
  }
}
