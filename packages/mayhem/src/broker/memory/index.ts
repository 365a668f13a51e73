export { MemoryBroker } from "./memory-broker.js";
export { memoryBrokerDefaults } from "./options.js";
export type { MemoryBrokerOptions } from "./options.js";
export type { MemoryBrokerStats } from "./core.js";
export type { MemoryMessage } from "./delivery.js";
