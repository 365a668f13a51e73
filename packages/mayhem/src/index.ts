/**
 * The package's library surface: the brokers, for a program that wants
 * Mayhem's pull-with-lease semantics (the memory broker, or NATS JetStream)
 * without the service. Everything else is the `mayhem` command's own.
 */
export type {
  Broker,
  BrokerMessage,
  BrokerStats,
  Clock,
  DeadLetter,
  MemoryBrokerOptions,
  MemoryBrokerStats,
  MemoryMessage,
  PullOptions,
  TimerHandle,
} from "./broker/index.js";
export { BrokerClosedError, BrokerError, MemoryBroker } from "./broker/index.js";

export type { NatsBrokerLogger, NatsBrokerOptions, NatsBrokerStats } from "./broker/nats/index.js";
export { NatsBroker, NatsConfigMismatchError } from "./broker/nats/index.js";

export { ErrorCode, MayhemError } from "./errors/index.js";
