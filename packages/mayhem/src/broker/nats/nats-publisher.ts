import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { BrokerClosedError } from "../errors.js";
import { natsBrokerDefaults, resolveNatsBrokerOptions, type NatsBrokerOptions } from "./options.js";
import { PublishWindow } from "./publish-window.js";
import { ensureStream } from "./setup.js";

/** Options of {@link NatsPublisher.connect}: the publishing subset of {@link NatsBrokerOptions}. */
export type NatsPublisherOptions = Pick<
  NatsBrokerOptions,
  "servers" | "stream" | "subject" | "publishWindow" | "name"
>;

/**
 * Publishes work onto the stream without consuming it (`mayhem publish`).
 * It creates the work stream if missing (and checks its subject if present),
 * but never touches the consumer: a publisher must not need to know the ack
 * deadline or max deliveries the consumers were started with.
 *
 * @example
 * ```ts
 * const publisher = await NatsPublisher.connect({ servers: "nats://127.0.0.1:4222" });
 * await publisher.publish(encodeMessage(createMessage(Math.random)));
 * await publisher.close();
 * ```
 */
export class NatsPublisher {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #subject: string;
  readonly #window: PublishWindow;
  #closed: Promise<void> | undefined;
  #published = 0;

  private constructor(nc: NatsConnection, subject: string, windowSize: number) {
    this.#nc = nc;
    this.#js = jetstream(nc);
    this.#subject = subject;
    this.#window = new PublishWindow(windowSize);
  }

  /** Connects and creates or checks the work stream; rejects with `NatsConfigMismatchError` on a mismatch. */
  static async connect(options: NatsPublisherOptions): Promise<NatsPublisher> {
    const resolved = resolveNatsBrokerOptions({
      ...options,
      name: options.name ?? `${natsBrokerDefaults.name}-publisher`,
    });
    const nc = await connect({ servers: resolved.servers, name: resolved.name });
    try {
      await ensureStream(await jetstreamManager(nc), resolved.stream, resolved.subject);
    } catch (error) {
      await nc.close();
      throw error;
    }
    return new NatsPublisher(nc, resolved.subject, resolved.publishWindow);
  }

  /** Publishes with a JetStream publish, resolved once stored. Waits for a slot beyond `publishWindow` in flight. */
  async publish(data: Uint8Array): Promise<void> {
    if (this.#closed !== undefined || !(await this.#window.acquire())) {
      throw new BrokerClosedError("publish", "nats");
    }
    try {
      await this.#js.publish(this.#subject, data);
      this.#published++;
    } finally {
      this.#window.release();
    }
  }

  /** Messages the stream has acknowledged storing. */
  get published(): number {
    return this.#published;
  }

  /** Publishes awaiting their server ack now. */
  get inFlight(): number {
    return this.#window.inFlight;
  }

  /** Drains the connection. Idempotent. Publishes still waiting for a slot reject. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#window.close();
      if (!this.#nc.isClosed()) await this.#nc.drain().catch(() => this.#nc.close());
    })();
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
