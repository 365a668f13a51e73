// Thin entry to the benchmark; `mayhem bench --messages N [--runs K]` is the main one.
// Usage: node --import tsx bench/mayhem.ts [N] [K]
import { runBench } from "../src/bench/index.js";

const messages = Number(process.argv[2] ?? 200_000);
const runs = Number(process.argv[3] ?? 1);
console.log(JSON.stringify(await runBench({ messages, runs })));
