export type { BenchOptions, BenchResult, BenchRun } from "./run-bench.js";
export { measureRun, runBench } from "./run-bench.js";
