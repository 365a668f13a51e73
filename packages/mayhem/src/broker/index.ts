export { systemClock } from "./clock.js";
export { BrokerClosedError, BrokerError } from "./errors.js";
export { MemoryBroker, memoryBrokerDefaults } from "./memory/index.js";

export type { Clock, TimerHandle } from "./clock.js";
export type { MemoryBrokerOptions, MemoryBrokerStats, MemoryMessage } from "./memory/index.js";
export type { Broker, BrokerMessage, BrokerStats, DeadLetter, PullOptions } from "./types.js";
