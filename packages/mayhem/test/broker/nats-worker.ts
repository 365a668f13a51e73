/**
 * A child process for the NATS fault tests: a minimal consumer on NatsBroker
 * that handles each message in about 20 ms, acks it and prints `acked <id>`.
 * On SIGTERM it stops pulling, nacks what it holds, closes the broker and
 * exits 0, the shutdown order of the real service.
 *
 * Configured by MAYHEM_TEST_NATS (JSON NatsBrokerOptions).
 */
import type { BrokerMessage } from "../../src/broker/types.js";
import { NatsBroker, type NatsBrokerOptions } from "../../src/broker/nats/index.js";

const options = JSON.parse(process.env.MAYHEM_TEST_NATS ?? "{}") as NatsBrokerOptions;
const broker = await NatsBroker.connect(options);
const inFlight = new Set<BrokerMessage>();
const stopPulling = new AbortController();

process.once("SIGTERM", () => {
  stopPulling.abort();
  for (const m of inFlight) m.nack();
  process.stdout.write(`nacked ${inFlight.size}\n`);
  inFlight.clear();
  broker.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

process.stdout.write("started\n");
while (!stopPulling.signal.aborted) {
  const batch = await broker.pull({ max: 4, signal: stopPulling.signal });
  for (const m of batch) {
    inFlight.add(m);
    setTimeout(() => {
      if (!inFlight.delete(m)) return; // nacked by the shutdown
      m.ack();
      process.stdout.write(`acked ${m.id}\n`);
    }, 20);
  }
  // Bounded in-flight work, as in the service.
  while (inFlight.size >= 8 && !stopPulling.signal.aborted)
    await new Promise((r) => setTimeout(r, 5));
}
