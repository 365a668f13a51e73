/**
 * The preload: `node --import loopscope/register app.js` turns loopscope on for any
 * program, configured by `LOOPSCOPE_*` environment variables. A bad variable, or an
 * exporter configured without its package installed, stops the program before it runs,
 * with one line naming the variable or the package and exit code 9 (Node's code for
 * invalid arguments).
 */
import { writeSync } from "node:fs";
import { isMainThread } from "node:worker_threads";
import { LoopscopeConfigError, configFromEnv } from "./config/index.js";
import { start } from "./lifecycle/index.js";
import { MissingPackageError } from "./metrics/index.js";

/** Node's exit code for invalid command-line arguments. */
const EXIT_INVALID_ARGUMENTS = 9;

// Workers inherit `--import`: loopscope watches the main thread, once.
if (isMainThread) {
  try {
    // start() checks the exporters' packages before it turns anything on.
    start(configFromEnv());
  } catch (err) {
    if (!(err instanceof LoopscopeConfigError || err instanceof MissingPackageError)) throw err;
    writeSync(2, `loopscope: ${err.message}\n`);
    process.exit(EXIT_INVALID_ARGUMENTS);
  }
}
