// A task that fails while nobody awaits its promise: asyncio's "Task exception was never
// retrieved". For the debug-mode samples in the docs:
//   LOOPSCOPE_DEBUG=1 node --import loopscope/register docs/examples/task-failure.mjs
import { setTimeout as sleep } from "node:timers/promises";
import { spawn } from "loopscope";

async function save(id) {
  await sleep(10);
  throw new Error(`could not save ${id}`);
}

function consume() {
  spawn("save cattle-ab12", () => save("cattle-ab12")); // nobody keeps the task
}

setTimeout(consume, 100);
