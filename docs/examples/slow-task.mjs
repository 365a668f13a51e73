// A task that blocks the loop after two awaits: in debug mode the watchdog's report names
// the task and where it was created. For the debug-mode samples in the docs:
//   LOOPSCOPE_DEBUG=1 node --import loopscope/register docs/examples/slow-task.mjs
import { setTimeout as sleep } from "node:timers/promises";
import { spawn } from "loopscope";

function spin(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

function hashEverything(ms) {
  spin(ms);
}

async function handleMessage(id) {
  await sleep(20);
  spin(20); // under the threshold: silent
  await sleep(20);
  hashEverything(300); // over it: a loop-blocked report naming this task
  return id;
}

// Let the watchdog's thread start before anything blocks.
await sleep(300);
await spawn("handle cattle-ab12", () => handleMessage("cattle-ab12")).promise;
// One more turn: the block is reported when the loop turns again.
await sleep(200);
