export { DeadLetterHeader } from "./dead-letter.js";
export { NatsConfigMismatchError } from "./errors.js";
export { NatsBroker } from "./nats-broker.js";
export { NatsPublisher } from "./nats-publisher.js";
export { natsBrokerDefaults } from "./options.js";
export { natsServerStats } from "./server-stats.js";

export type { NatsBrokerStats } from "./nats-broker.js";
export type { NatsPublisherOptions } from "./nats-publisher.js";
export type { NatsBrokerLogger, NatsBrokerOptions } from "./options.js";
export type { NatsServerStats, NatsServerStatsOptions } from "./server-stats.js";
