export type { CliIo } from "./program.js";
export { main } from "./program.js";
