export type { CliIo } from "./program.js";
export { EXIT_USAGE, buildProgram, main } from "./program.js";
export { BrokerStartError } from "./broker-start-error.js";
export { createBroker } from "./create-broker.js";
