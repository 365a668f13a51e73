export { median, round } from "./figures.js";
export type { BenchOptions, BenchResult, BenchRun } from "./run-bench.js";
export { runBench } from "./run-bench.js";
export type { NatsBenchOptions, NatsBenchResult, NatsBenchRun } from "./nats-bench.js";
export { runNatsBench } from "./nats-bench.js";
export type { BenchNames, RawCeilingRun } from "./nats-raw.js";
export {
  deleteBenchStreams,
  fillStream,
  freshBenchNames,
  measureRawNatsCeiling,
} from "./nats-raw.js";
