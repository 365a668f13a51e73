// Blocks its own event loop twice, once in JavaScript and once in a native call, for the
// watchdog's samples in the docs. Run it with loopscope on:
//   node --import loopscope/register docs/examples/blocking.mjs
import { pbkdf2Sync } from "node:crypto";

function busyLoop(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

function deriveKey(iterations) {
  return pbkdf2Sync("secret", "salt", iterations, 32, "sha256");
}

setTimeout(() => busyLoop(300), 300);
setTimeout(() => {
  deriveKey(600_000);
  // Let the loop turn once more, so the block is reported before the program ends.
  setTimeout(() => {}, 200);
}, 900);
