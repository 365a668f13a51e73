import { performance } from "node:perf_hooks";
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

/** Stream, subject and durable names no other bench run uses. */
export interface BenchNames {
  readonly stream: string;
  readonly subject: string;
  readonly durable: string;
  readonly deadLetterStream: string;
  readonly deadLetterSubject: string;
}

let serial = 0;

/**
 * Fresh names for one bench run (pid, time and a counter), so runs in one
 * process, and runs of processes sharing a server, never see each other's messages.
 */
export function freshBenchNames(prefix = "BENCH"): BenchNames {
  serial++;
  const tag = `${process.pid}_${Date.now().toString(36)}_${serial}`;
  return {
    stream: `${prefix}_${tag}`,
    subject: `bench.${tag}.work`,
    durable: `bench_${tag}`,
    deadLetterStream: `${prefix}_${tag}_DEAD`,
    deadLetterSubject: `bench.${tag}.dead`,
  };
}

/** Publishes every payload `make(i)` returns for i in [0, count), `window` at a time in flight. */
export async function fillStream(
  publish: (data: Uint8Array) => Promise<unknown>,
  count: number,
  make: (i: number) => Uint8Array,
  window = 512,
): Promise<void> {
  for (let sent = 0; sent < count; sent += window) {
    const n = Math.min(window, count - sent);
    await Promise.all(Array.from({ length: n }, (_, k) => publish(make(sent + k))));
  }
}

/** Deletes the streams of a bench run; a stream that is already gone is fine. */
export async function deleteBenchStreams(jsm: JetStreamManager, names: BenchNames): Promise<void> {
  for (const stream of [names.stream, names.deadLetterStream]) {
    await jsm.streams.delete(stream).catch(() => false);
  }
}

/** One measured run of the raw ceiling. */
export interface RawCeilingRun {
  readonly ms: number;
  readonly msgsPerS: number;
}

/**
 * The ceiling for anything consuming from JetStream: the bare client pulling
 * (`consume()` with `prefetch` messages buffered) and acking `count`
 * messages, with no handler and nothing else. The stream is filled with
 * `make(i)` first; only pulling and acking are timed (until the last ack is
 * flushed to the server). A fresh stream is created and deleted.
 */
export async function measureRawNatsCeiling(options: {
  readonly servers: string;
  readonly count: number;
  readonly prefetch: number;
  readonly make: (i: number) => Uint8Array;
}): Promise<RawCeilingRun> {
  const { servers, count, prefetch, make } = options;
  const names = freshBenchNames("RAW");
  const nc = await connect({ servers, name: "mayhem-bench-raw" });
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.add({ name: names.stream, subjects: [names.subject] });
    await jsm.consumers.add(names.stream, {
      durable_name: names.durable,
      ack_policy: AckPolicy.Explicit,
    });
    const js = jetstream(nc);
    await fillStream((data) => js.publish(names.subject, data), count, make);
    const started = performance.now();
    const consumer = await js.consumers.get(names.stream, names.durable);
    const messages = await consumer.consume({ max_messages: prefetch });
    let acked = 0;
    for await (const m of messages) {
      m.ack();
      if (++acked === count) break;
    }
    await nc.flush();
    const ms = performance.now() - started;
    return { ms, msgsPerS: (count / ms) * 1000 };
  } finally {
    await deleteBenchStreams(jsm, names);
    await nc.close();
  }
}
