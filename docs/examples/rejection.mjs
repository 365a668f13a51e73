// A fire-and-forget call that fails after an await: nobody awaits it, so its own stack ends
// at the throw; debug mode adds where it was created. For the debug-mode samples in the docs:
//   LOOPSCOPE_DEBUG=1 node --import loopscope/register docs/examples/rejection.mjs
import { setTimeout as sleep } from "node:timers/promises";

async function handleMessage(id) {
  await sleep(10);
  throw new Error(`could not handle ${id}`);
}

function consume() {
  void handleMessage("cattle-ab12"); // not awaited
}

setTimeout(consume, 100);
