export type { CliIo } from "./program.js";
export { EXIT_USAGE, buildProgram, main } from "./program.js";
export { BROKER_START_FAILED, BrokerStartError, createBroker } from "./create-broker.js";
