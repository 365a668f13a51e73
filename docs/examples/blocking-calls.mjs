// Blocking synchronous calls on the main thread, the loop-unsafe operation of Node. For the
// debug-mode samples in the docs:
//   LOOPSCOPE_DEBUG=1 node --import loopscope/register docs/examples/blocking-calls.mjs
import { pbkdf2Sync } from "node:crypto";
import { readFileSync } from "node:fs";

function loadConfig() {
  return readFileSync(new URL(import.meta.url), "utf8");
}

function hashPassword(password) {
  return pbkdf2Sync(password, "salt", 1000, 32, "sha256");
}

setTimeout(() => loadConfig(), 100);
setTimeout(() => hashPassword("secret"), 200);
