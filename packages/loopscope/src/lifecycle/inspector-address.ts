import { unlinkSync, writeFileSync } from "node:fs";
import { isLoopback } from "../config/index.js";
import type { Inspector } from "../inspector/index.js";
import type { InspectorAddress } from "../protocol/index.js";
import { inspectFilePath } from "./dump-files.js";
import { ownRendezvousDir, sayRendezvousProblem } from "./own-rendezvous.js";

/** The address file this process wrote, removed when the inspector stops or the process exits. */
let written: string | undefined;

/**
 * Say where the inspector listens once it does: one line on stderr with the full URL
 * (token included, as Jupyter prints it: the person who started the process opens it),
 * a warning when it listens beyond loopback, and the address file in the private
 * rendezvous directory. A server that cannot listen is said on one line; the
 * application goes on.
 */
export function announceInspector(
  inspector: Inspector,
  host: string,
  options: { readonly printUrl: boolean } = { printUrl: true },
): void {
  inspector.ready.then(
    (address) => {
      // The file first: whoever waits for the line below (a test, a wrapper) finds it.
      writeAddressFile(address);
      // Opened on demand (`loopscope inspect`): the token reaches the asking user through
      // the file only, never the process's output or logs.
      if (!options.printUrl) return;
      if (!isLoopback(host)) {
        process.stderr.write(
          `loopscope: the inspector listens on ${host}, beyond this machine: anyone who can reach it and has the token sees this process's tasks and stacks\n`,
        );
      }
      process.stderr.write(`loopscope: inspector at ${address.url}?token=${address.token}\n`);
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`loopscope: could not start the inspector: ${message}\n`);
    },
  );
}

/** Write the address file again (a second `loopscope inspect` while the inspector runs). */
export function rewriteAddressFile(inspector: Inspector): void {
  inspector.ready.then(writeAddressFile, () => undefined);
}

function writeAddressFile(address: InspectorAddress): void {
  const dir = ownRendezvousDir();
  if (dir === undefined) return;
  const path = inspectFilePath(process.pid, dir);
  try {
    // The directory is this user's and closed to others (checked): nothing else can be at this name.
    writeFileSync(path, `${JSON.stringify(address)}\n`, { mode: 0o600 });
    written = path;
    process.on("exit", removeAddressFile);
    for (const signal of ENDING_SIGNALS) process.on(signal, onEndingSignal);
  } catch (error) {
    sayRendezvousProblem(error);
  }
}

/**
 * Signals whose default action ends the process without running `exit` listeners: the
 * address file (which holds the token) stayed behind after `kill <pid>`.
 */
const ENDING_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/**
 * Remove the file, then let the signal do what it would have done. When the application
 * listens to the signal too, what it does is its own business (its `process.exit` runs
 * the `exit` listener): nothing here.
 */
function onEndingSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  removeAddressFile();
  // No listener left: Node restores the default action, and the signal ends the process
  // as it would have without loopscope (same signal for the parent to see).
  process.kill(process.pid, signal);
}

/** Remove the address file, if this process wrote one. */
export function removeAddressFile(): void {
  process.removeListener("exit", removeAddressFile);
  for (const signal of ENDING_SIGNALS) process.removeListener(signal, onEndingSignal);
  if (written === undefined) return;
  try {
    unlinkSync(written);
  } catch {
    // Already gone.
  }
  written = undefined;
}
