import {
  jetstream,
  jetstreamManager,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ErrorCode } from "../../errors/index.js";
import { systemClock } from "../clock.js";
import { BrokerClosedError, BrokerError } from "../errors.js";
import { Fifo } from "../fifo.js";
import { pullOptionsError } from "../option-checks.js";
import { PullWaiter } from "../pull-waiter.js";
import type { Broker, BrokerMessage, BrokerStats, PullOptions } from "../types.js";
import { deadLetterHeaders, deadLetterMsgId } from "./dead-letter.js";
import { FetchFailureLog } from "./fetch-failures.js";
import { NatsLease, type LeaseOwner, type NatsCounters } from "./lease.js";
import {
  resolveNatsBrokerOptions,
  type NatsBrokerOptions,
  type ResolvedNatsBrokerOptions,
} from "./options.js";
import { PublishWindow } from "./publish-window.js";
import { ensureTopology } from "./setup.js";
import { readNatsServerStats, type NatsServerStats } from "./server-stats.js";

/**
 * A prefetched message older than this share of the ack deadline is not handed out:
 * the server is about to redeliver it (or already has), so a lease on it would
 * be one the holder cannot keep.
 */
const STALE_SHARE = 0.9;
/** Older than this share, a prefetched message gets a `working()` when handed out, so its holder gets a full ack deadline. */
const REFRESH_SHARE = 0.5;
/** How long `close()` lets the connection drain before closing it outright. */
const DRAIN_TIMEOUT_MS = 5_000;
/** Pause before another fetch after one failed while connected. */
const FETCH_RETRY_MS = 1_000;
/** Reasons of dead letters that could not be stored, remembered at most (the oldest go first). */
const MAX_UNSTORED_REASONS = 10_000;
/** How long one fetch waits on an empty stream before the pump asks again. */
const FETCH_EXPIRES_MS = 1_000;

/** {@link BrokerStats} plus what only the NATS broker knows. */
export interface NatsBrokerStats extends BrokerStats {
  /** Messages fetched from the server and not yet pulled. */
  readonly buffered: number;
  /** The bound on `buffered + outstanding` (option `maxInFlight`). */
  readonly maxInFlight: number;
  /** Whether the connection is up now. */
  readonly connected: boolean;
  /** Times the connection was lost. */
  readonly disconnects: number;
  /** Settlements that could not be sent (connection closed); the server redelivers those. */
  readonly settlementFailures: number;
  /** Dead letters that could not be stored; those messages stay in the stream and are retried. */
  readonly deadLetterFailures: number;
  /** Extensions not sent because the deadline had just been reset (see `EXTEND_COALESCE_SHARE`). */
  readonly coalescedExtensions: number;
}

/** A message the server delivered that no `pull()` has taken yet. */
interface Prefetched {
  readonly msg: JsMsg;
  readonly streamSequence: number;
  readonly deliveryAttempt: number;
  /** `performance.now()` at arrival: the server's ack deadline started about then. */
  readonly receivedAt: number;
}

/**
 * Where the broker is in its life; every question the code asks about it
 * (may it fetch? may it publish?) is answered from this one value. The
 * promises are those a repeated `stopPulling()` or `close()` joins.
 *
 * - `pulling`: fetching; `pull()` serves.
 * - `stopped`: `stopPulling()` was called: no fetch is sent any more and
 *   `pull()` resolves `[]`; publishing and settling go on.
 * - `lost`: the connection closed for good on its own (the client gave up
 *   reconnecting) while pulling: shut down as by `close()`, publishing is
 *   refused, `closed()` has resolved with the reason. Pulls wait for their
 *   expiry or abort, as while disconnected, rather than resolve `[]` at once: a
 *   caller that loops on `pull()` (the service's consumer) must not spin.
 *   `stopPulling()` or `close()` ends them and makes it `closed`.
 * - `closed`: `close()` was called (or the connection was lost after
 *   `stopPulling()`): pulls resolve `[]`, publishing is refused; `done`
 *   resolves once shut down.
 */
type Lifecycle =
  | { readonly phase: "pulling" }
  | { readonly phase: "stopped"; readonly stopping: Promise<void> }
  | ShutDown<"lost">
  | ShutDown<"closed">;

interface ShutDown<P extends "lost" | "closed"> {
  readonly phase: P;
  readonly stopping: Promise<void>;
  readonly done: Promise<void>;
}

/**
 * The {@link Broker} on NATS JetStream: a durable pull consumer with explicit
 * acks, shared by every instance started with the same options.
 *
 * @example
 * ```ts
 * const broker = await NatsBroker.connect({ servers: "nats://127.0.0.1:4222" });
 * await broker.publish(new TextEncoder().encode('{"host":"web-1"}'));
 * const [message] = await broker.pull({ max: 1 });
 * message?.ack();
 * await broker.close();
 * ```
 */
export class NatsBroker implements Broker {
  readonly kind = "nats";
  readonly #counters: NatsCounters = {
    published: 0,
    delivered: 0,
    redelivered: 0,
    acked: 0,
    nacked: 0,
    terminated: 0,
    expired: 0,
    deadLettered: 0,
    lateSettlements: 0,
    outstanding: 0,
    settlementFailures: 0,
    deadLetterFailures: 0,
    coalescedExtensions: 0,
  };

  readonly #options: ResolvedNatsBrokerOptions;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #consumer: Consumer;
  /** Fetched, not yet pulled. Bounded by the pump, which fetches only for the room left under `prefetch`. */
  readonly #buffer = new Fifo<Prefetched>();
  /** What the leases see of this broker: the settings and the tallies. */
  readonly #leaseOwner: LeaseOwner;
  readonly #waiters = new Set<PullWaiter>();
  readonly #deadLetters = new Set<Promise<void>>();
  /**
   * Why a message was being dead-lettered when storing its dead letter failed, by stream
   * sequence: it was left unsettled, so the server sends it again after the ack deadline,
   * past max deliveries, and the second try must give the first reason, not an expiry.
   */
  readonly #unstoredReasons = new Map<number, string>();
  readonly #publishWindow: PublishWindow;
  readonly #fetchFailures: FetchFailureLog;
  /** Most messages held at once: buffered plus leased and unsettled. */
  readonly #maxInFlight: number;
  /** Most messages buffered (`prefetch`, at most `maxInFlight`). */
  readonly #prefetch: number;
  /** Free room worth a fetch of its own: half the buffer's capacity. */
  readonly #fetchThreshold: number;
  #serverPending = 0;
  #connected = true;
  #disconnects = 0;
  #lifecycle: Lifecycle = { phase: "pulling" };
  /** What {@link closed} returns; settled once shut down. */
  readonly #closed: Promise<void | Error>;
  #settleClosed!: (reason: Error | undefined) => void;
  #fetch: ConsumerMessages | undefined;
  #wakeRetry: (() => void) | undefined;
  #wakeConnected: (() => void) | undefined;
  #wakeForRoom: (() => void) | undefined;
  readonly #pump: Promise<void>;
  readonly #statusWatch: Promise<void>;

  private constructor(
    options: ResolvedNatsBrokerOptions,
    nc: NatsConnection,
    jsm: JetStreamManager,
    js: JetStreamClient,
    consumer: Consumer,
  ) {
    this.#options = options;
    this.#leaseOwner = {
      ackDeadlineMs: options.ackDeadlineMs,
      maxDeliveries: options.maxDeliveries,
      counters: this.#counters,
      deadLetter: (msg, streamSequence, deliveries, reason) =>
        this.#deadLetter(msg, streamSequence, deliveries, reason),
      // A settled lease may leave room for a fetch.
      released: () => this.#wakePumpIfRoom(),
    };
    this.#closed = new Promise((resolve) => {
      this.#settleClosed = resolve;
    });
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = js;
    this.#consumer = consumer;
    this.#maxInFlight = options.maxInFlight;
    this.#prefetch = Math.min(options.prefetch, options.maxInFlight);
    this.#fetchThreshold = Math.ceil(this.#prefetch / 2);
    this.#publishWindow = new PublishWindow(options.publishWindow);
    this.#fetchFailures = new FetchFailureLog(options.logger);
    this.#statusWatch = this.#watchStatus();
    this.#pump = this.#runPump();
    // nats.js resolves closed() (never rejects), with an Error if one closed it.
    void nc.closed().then((error) => this.#connectionClosed(error));
  }

  /** Fetching is over: stopPulling() or close() was called, or the connection is gone. */
  get #stopped(): boolean {
    return this.#lifecycle.phase !== "pulling";
  }

  /**
   * Connects, creates or checks the streams and the durable consumer, and starts
   * fetching. Rejects with {@link NatsConfigMismatchError} when an existing
   * stream or consumer differs from the options, and with a TypeError naming
   * the option for bad options.
   */
  static async connect(options: NatsBrokerOptions): Promise<NatsBroker> {
    const resolved = resolveNatsBrokerOptions(options);
    const nc = await connect({
      servers: resolved.servers,
      name: resolved.name,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: resolved.reconnectTimeWaitMs,
    });
    try {
      const jsm = await jetstreamManager(nc);
      await ensureTopology(jsm, resolved);
      const js = jetstream(nc);
      const consumer = await js.consumers.get(resolved.stream, resolved.durable);
      return new NatsBroker(resolved, nc, jsm, js, consumer);
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /**
   * Publishes with a JetStream publish, resolved once the stream stored it. At
   * most `publishWindow` publishes are in flight; later calls wait for a slot,
   * so callers may fire many without awaiting each.
   */
  async publish(data: Uint8Array): Promise<void> {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(`publish() data must be a Uint8Array; received ${typeof data}`);
    }
    const { phase } = this.#lifecycle;
    if (phase === "lost" || phase === "closed" || !(await this.#publishWindow.acquire())) {
      throw new BrokerClosedError("publish", "nats");
    }
    try {
      await this.#js.publish(this.#options.subject, data);
      this.#counters.published++;
    } finally {
      this.#publishWindow.release();
    }
  }

  pull(options: PullOptions): Promise<BrokerMessage[]> {
    const invalid = pullOptionsError(options);
    if (invalid !== undefined) return Promise.reject(invalid);
    const { max, expiresMs, signal } = options;
    const { phase } = this.#lifecycle;
    if (phase === "stopped" || phase === "closed" || signal?.aborted) return Promise.resolve([]);
    if (phase === "pulling" && this.#connected && this.#waiters.size === 0) {
      const batch = this.#take(max);
      if (batch.length > 0) return Promise.resolve(batch);
    }
    if (expiresMs === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      this.#waiters.add(
        new PullWaiter(max, this.#waiters, systemClock, resolve, signal, expiresMs),
      );
      // A puller waiting on an empty buffer makes even a small fetch worthwhile.
      this.#wakePumpIfRoom();
    });
  }

  /**
   * Stops taking work for this instance: no fetch is sent any more, pending and
   * later `pull()` calls resolve `[]`; leases still held can be settled as usual.
   * Resolves once the last fetch has ended (a pull request cannot be withdrawn
   * from the server: it is filled or expires, within about a second), so that
   * messages nacked afterwards go to another instance instead of coming back to
   * this one. What that fetch brought stays buffered until {@link close} hands
   * it back. Idempotent.
   */
  stopPulling(): Promise<void> {
    const lifecycle = this.#lifecycle;
    switch (lifecycle.phase) {
      case "pulling": {
        const stopping = this.#stopFetching();
        this.#lifecycle = { phase: "stopped", stopping };
        this.#endWaitingPulls();
        return stopping;
      }
      case "lost":
        this.#lifecycle = { ...lifecycle, phase: "closed" };
        this.#endWaitingPulls();
        return lifecycle.stopping;
      default:
        return lifecycle.stopping;
    }
  }

  #endWaitingPulls(): void {
    for (const waiter of [...this.#waiters]) waiter.finish([]);
  }

  /** Runs once, from the first stopPulling(), close() or connection loss. */
  async #stopFetching(): Promise<void> {
    this.#wakeRetry?.();
    this.#wakeConnectedPump();
    this.#wakePump();
    await this.#pump;
  }

  stats(): NatsBrokerStats {
    const c = this.#counters;
    return {
      kind: this.kind,
      published: c.published,
      pending: this.#serverPending + this.#buffer.size,
      outstanding: c.outstanding,
      delivered: c.delivered,
      redelivered: c.redelivered,
      acked: c.acked,
      nacked: c.nacked,
      terminated: c.terminated,
      expired: c.expired,
      deadLettered: c.deadLettered,
      lateSettlements: c.lateSettlements,
      buffered: this.#buffer.size,
      maxInFlight: this.#maxInFlight,
      connected: this.#connected,
      disconnects: this.#disconnects,
      settlementFailures: c.settlementFailures,
      deadLetterFailures: c.deadLetterFailures,
      coalescedExtensions: c.coalescedExtensions,
    };
  }

  /** The server's figures for the stream, the consumer and the dead letters, over this connection. */
  serverStats(): Promise<NatsServerStats> {
    return readNatsServerStats(this.#jsm, this.#options);
  }

  /**
   * Stops delivering and drains the connection. Pending `pull()` calls resolve
   * with `[]`; once the last fetch has ended ({@link stopPulling}), messages
   * fetched but never pulled are nacked, so another instance gets them at once;
   * dead letters being stored are awaited. Leases still held should be settled
   * (the service calls `stopPulling()`, then nacks them) before this is called.
   * Idempotent: a second call joins the first.
   */
  close(): Promise<void> {
    const lifecycle = this.#lifecycle;
    if (lifecycle.phase === "closed") return lifecycle.done;
    if (lifecycle.phase === "lost") {
      // Shut down already: only the pulls left waiting are ended.
      this.#lifecycle = { ...lifecycle, phase: "closed" };
      this.#endWaitingPulls();
      return lifecycle.done;
    }
    const shutDown = this.#shutDown(lifecycle, "closed", undefined);
    this.#lifecycle = shutDown;
    this.#endWaitingPulls();
    return shutDown.done;
  }

  /**
   * Settles once the broker is closed. Never rejects: resolves `undefined`
   * after {@link close}, or, when the connection closed for good on its own
   * (the client gave up reconnecting, e.g. the server refused its credentials),
   * with a `BrokerError` (`MAYHEM_ERR_BROKER_CLOSED`) whose `cause` is the
   * client's error. Then publishes reject, and pulls wait for their expiry or
   * abort (as while disconnected: a caller looping on `pull()` does not spin)
   * until `stopPulling()` or `close()` ends them.
   */
  closed(): Promise<void | Error> {
    return this.#closed;
  }

  /** Calls {@link close}: `await using broker = await NatsBroker.connect(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Starts the one shutdown, from `pulling` or `stopped`; `lost` is why, when the connection closed by itself. */
  #shutDown(
    from: Extract<Lifecycle, { phase: "pulling" | "stopped" }>,
    phase: "lost" | "closed",
    lost: Error | undefined,
  ): ShutDown<"lost"> | ShutDown<"closed"> {
    const stopping = from.phase === "stopped" ? from.stopping : this.#stopFetching();
    // closed() settles even if a step of the shutdown failed (close() then rejects with it).
    const done = this.#shutdown(stopping).finally(() => this.#settleClosed(lost));
    return { phase, stopping, done };
  }

  #connectionClosed(error: Error | void): void {
    const lifecycle = this.#lifecycle;
    if (lifecycle.phase === "lost" || lifecycle.phase === "closed") return;
    const lost = new BrokerError(
      ErrorCode.brokerClosed,
      `the nats connection closed for good${error ? `: ${error.message}` : ""}`,
      { cause: error },
    );
    this.#options.logger.error({ err: lost }, "nats: connection closed; the broker is closed");
    // After stopPulling(), pulls resolve [] already: nothing to keep waiting.
    const shutDown = this.#shutDown(
      lifecycle,
      lifecycle.phase === "stopped" ? "closed" : "lost",
      lost,
    );
    this.#lifecycle = shutDown;
    // Nobody awaits this shutdown: a failure in it must not become an unhandled rejection.
    shutDown.done.catch(() => undefined);
  }

  /** Stores a dead letter, then terminates the message (for the leases, through {@link LeaseOwner}). */
  #deadLetter(msg: JsMsg, streamSequence: number, deliveries: number, reason: string): void {
    const stored = this.#storeDeadLetter(msg, streamSequence, deliveries, reason).finally(() =>
      this.#deadLetters.delete(stored),
    );
    this.#deadLetters.add(stored);
  }

  async #storeDeadLetter(
    msg: JsMsg,
    streamSequence: number,
    deliveries: number,
    reason: string,
  ): Promise<void> {
    const { stream, deadLetterSubject } = this.#options;
    try {
      await this.#js.publish(deadLetterSubject, msg.data, {
        headers: deadLetterHeaders({ stream, streamSequence, deliveries, reason, at: new Date() }),
        msgID: deadLetterMsgId(stream, streamSequence),
      });
    } catch (error) {
      // Not terminated: the server redelivers it and it is dead-lettered again then.
      this.#counters.deadLetterFailures++;
      this.#rememberUnstored(streamSequence, reason);
      this.#options.logger.error(
        { err: error, streamSequence, reason },
        "nats: could not store a dead letter; the message stays in the stream",
      );
      return;
    }
    this.#unstoredReasons.delete(streamSequence);
    this.#counters.deadLettered++;
    this.#options.logger.warn(
      { streamSequence, deliveries, reason },
      "nats: message dead-lettered",
    );
    try {
      msg.term();
    } catch {
      this.#counters.settlementFailures++;
    }
  }

  #rememberUnstored(streamSequence: number, reason: string): void {
    this.#unstoredReasons.delete(streamSequence);
    if (this.#unstoredReasons.size >= MAX_UNSTORED_REASONS) {
      const oldest = this.#unstoredReasons.keys().next().value;
      if (oldest !== undefined) this.#unstoredReasons.delete(oldest);
    }
    this.#unstoredReasons.set(streamSequence, reason);
  }

  /**
   * Feeds the prefetch buffer with fetches of at most the free room, one at a
   * time. Credit-based rather than `consume()`: the client never holds more
   * than `prefetch` messages, nor more than `maxInFlight` buffered and leased
   * together, and once stopped no request is left asking for more (`consume()`
   * would send its next pull request as its queue is drained).
   */
  async #runPump(): Promise<void> {
    while (!this.#stopped) {
      if (!this.#connected) {
        await this.#untilConnected();
        continue;
      }
      const room = this.#fetchRoom();
      if (room === 0) {
        await this.#untilRoom();
        continue;
      }
      try {
        const fetch = await this.#consumer.fetch({
          max_messages: room,
          expires: FETCH_EXPIRES_MS,
        });
        this.#fetch = fetch;
        for await (const msg of fetch) {
          // A fetch that delivers works, whether or not it ends well.
          this.#fetchFailures.succeeded();
          this.#accept(msg);
        }
        this.#fetchFailures.succeeded();
      } catch (error) {
        // Missed heartbeats while disconnected end a fetch: wait for the connection instead.
        if (!this.#stopped && this.#connected) {
          this.#fetchFailures.failed(error);
          await this.#pauseBeforeRetry();
        }
      } finally {
        this.#fetch = undefined;
      }
    }
  }

  /**
   * How many messages the next fetch may ask for, or 0 when no fetch is worth
   * sending now. The room is what is left under both `prefetch` (buffered) and
   * `maxInFlight` (buffered plus leased and unsettled): a message is fetched
   * only when a handler can start on it soon, so none sits in the buffer while
   * its ack deadline runs out, and a fetch in flight always fits (while it is open,
   * pulls only move messages from buffered to leased). A fetch is sent for half
   * the buffer's capacity or more, or for any room when a puller waits on an
   * empty buffer.
   */
  #fetchRoom(): number {
    const buffered = this.#buffer.size;
    const room = Math.min(
      this.#prefetch - buffered,
      this.#maxInFlight - buffered - this.#counters.outstanding,
    );
    if (room <= 0) return 0;
    if (room >= this.#fetchThreshold) return room;
    return buffered === 0 && this.#waiters.size > 0 ? room : 0;
  }

  #untilRoom(): Promise<void> {
    return new Promise((resolve) => {
      this.#wakeForRoom = resolve;
    });
  }

  /** Wakes a pump waiting for room once there is some (after a pull, a settlement, a new waiter). */
  #wakePumpIfRoom(): void {
    if (this.#wakeForRoom !== undefined && this.#fetchRoom() > 0) this.#wakePump();
  }

  #wakePump(): void {
    const wake = this.#wakeForRoom;
    this.#wakeForRoom = undefined;
    wake?.();
  }

  #untilConnected(): Promise<void> {
    return new Promise((resolve) => {
      this.#wakeConnected = resolve;
    });
  }

  #accept(msg: JsMsg): void {
    const info = msg.info;
    this.#serverPending = info.pending;
    const { maxDeliveries } = this.#options;
    if (info.deliveryCount > maxDeliveries) {
      // The consumer's extra delivery (see serverMaxDeliver): the last lease expired, or
      // its dead letter could not be stored and the message was left unsettled.
      const unstored = this.#unstoredReasons.get(info.streamSequence);
      if (unstored === undefined) this.#counters.expired++;
      this.#deadLetter(
        msg,
        info.streamSequence,
        maxDeliveries,
        unstored ?? `ack deadline expired on delivery ${maxDeliveries} of ${maxDeliveries}`,
      );
      return;
    }
    this.#buffer.push({
      msg,
      streamSequence: info.streamSequence,
      deliveryAttempt: info.deliveryCount,
      receivedAt: performance.now(),
    });
    if (this.#waiters.size > 0) this.#serveWaiters();
  }

  #serveWaiters(): void {
    if (!this.#connected) return;
    for (const waiter of this.#waiters) {
      if (this.#buffer.size === 0) return;
      const batch = this.#take(waiter.max);
      if (batch.length === 0) return;
      waiter.finish(batch);
    }
  }

  #take(max: number): NatsLease[] {
    const batch: NatsLease[] = [];
    const now = performance.now();
    while (batch.length < max) {
      const item = this.#buffer.shift();
      if (item === undefined) break;
      const lease = this.#lease(item, now);
      if (lease !== undefined) batch.push(lease);
    }
    this.#wakePumpIfRoom();
    return batch;
  }

  #lease(item: Prefetched, now: number): NatsLease | undefined {
    const age = now - item.receivedAt;
    const { ackDeadlineMs } = this.#options;
    if (age >= ackDeadlineMs * STALE_SHARE) {
      this.#counters.expired++;
      return undefined;
    }
    let leasedAt = item.receivedAt;
    if (age >= ackDeadlineMs * REFRESH_SHARE) {
      try {
        item.msg.working();
        leasedAt = now;
      } catch {
        this.#counters.settlementFailures++;
      }
    }
    const c = this.#counters;
    c.outstanding++;
    c.delivered++;
    if (item.deliveryAttempt > 1) c.redelivered++;
    return new NatsLease(
      item.msg,
      item.streamSequence,
      item.deliveryAttempt,
      leasedAt,
      this.#leaseOwner,
    );
  }

  /** One warn when the connection drops and one info when it is back: never one per message. */
  async #watchStatus(): Promise<void> {
    const { logger } = this.#options;
    for await (const status of this.#nc.status()) {
      if (status.type === "disconnect" && this.#connected) {
        this.#connected = false;
        this.#disconnects++;
        logger.warn(
          { server: status.server },
          "nats: disconnected; pulling paused until the connection is back",
        );
      } else if (status.type === "reconnect" && !this.#connected) {
        this.#connected = true;
        logger.info({ server: status.server }, "nats: reconnected; pulling resumed");
        // A fetch sent before the outage has no request on the server any more.
        this.#fetch?.stop();
        this.#wakeConnectedPump();
        this.#serveWaiters();
        this.#wakePumpIfRoom();
      }
    }
  }

  async #shutdown(stopping: Promise<void>): Promise<void> {
    this.#publishWindow.close();
    // A pull request cannot be withdrawn: the server fills it until it expires.
    // Nacking while it is open would send the messages straight back to this
    // closing instance, so the pump lets the last fetch end first (filled or
    // expired, within FETCH_EXPIRES_MS), keeping what it brings in the buffer.
    await stopping;
    // Now hand back what was fetched but never pulled: another instance gets it at once.
    for (let item = this.#buffer.shift(); item !== undefined; item = this.#buffer.shift()) {
      this.#nakSafely(item.msg);
    }
    await Promise.allSettled([...this.#deadLetters]);
    await this.#drainConnection();
    await this.#statusWatch;
  }

  /**
   * Drains (sending the nacks and acks still buffered) then closes. A drain needs the server: when the connection
   * is down, or the drain takes too long, the connection is closed outright.
   */
  async #drainConnection(): Promise<void> {
    if (this.#nc.isClosed()) return;
    if (this.#connected) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), DRAIN_TIMEOUT_MS).unref();
      });
      const drained = this.#nc.drain().then(
        () => true,
        () => false,
      );
      const ok = await Promise.race([drained, timedOut]);
      clearTimeout(timer);
      if (ok) return;
    }
    await this.#nc.close().catch(() => undefined);
  }

  #wakeConnectedPump(): void {
    const wake = this.#wakeConnected;
    this.#wakeConnected = undefined;
    wake?.();
  }

  #nakSafely(msg: JsMsg): void {
    try {
      msg.nak();
    } catch {
      this.#counters.settlementFailures++;
    }
  }

  #pauseBeforeRetry(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wakeRetry = undefined;
        resolve();
      };
      const timer = setTimeout(done, FETCH_RETRY_MS);
      this.#wakeRetry = done;
    });
  }
}
