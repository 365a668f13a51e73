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
export function announceInspector(inspector: Inspector, host: string): void {
  inspector.ready.then(
    (address) => {
      if (!isLoopback(host)) {
        process.stderr.write(
          `loopscope: the inspector listens on ${host}, beyond this machine: anyone who can reach it and has the token sees this process's tasks and stacks\n`,
        );
      }
      // The file first: whoever reads the line finds the file too.
      writeAddressFile(address);
      process.stderr.write(`loopscope: inspector at ${address.url}?token=${address.token}\n`);
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`loopscope: could not start the inspector: ${message}\n`);
    },
  );
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
  } catch (error) {
    sayRendezvousProblem(error);
  }
}

/** Remove the address file, if this process wrote one. */
export function removeAddressFile(): void {
  process.removeListener("exit", removeAddressFile);
  if (written === undefined) return;
  try {
    unlinkSync(written);
  } catch {
    // Already gone.
  }
  written = undefined;
}
