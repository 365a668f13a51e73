/**
 * This process's side of the rendezvous with `loopscope dump`: its directory, created and
 * checked before each use. loopscope never throws into the application for it: a directory
 * that cannot be created or must not be used is said once on stderr, and loopscope goes on
 * without the files (a dump is still an event, on stderr and in the events file).
 */
import { ensureRendezvousDir, rendezvousDir, rendezvousOwnerOf } from "./rendezvous.js";

let said = false;

/**
 * The rendezvous directory, created (0700) if missing and checked, or `undefined` when
 * the files must go without it (said once). Checked at every use: a directory removed
 * (a temporary-file cleaner) or replaced since the last one is noticed.
 */
export function ownRendezvousDir(): string | undefined {
  // Windows: no SIGUSR2 to ask for a dump with, and no owner or mode bits to check.
  if (process.platform === "win32") return undefined;
  try {
    const owner = rendezvousOwnerOf(process.pid);
    const dir = rendezvousDir(owner);
    ensureRendezvousDir(dir, owner.uid);
    return dir;
  } catch (error) {
    sayRendezvousProblem(error);
    return undefined;
  }
}

/**
 * Say, once in the life of the process and on one line, why the files `loopscope dump`
 * reads are not written. Never throws.
 */
export function sayRendezvousProblem(error: unknown): void {
  if (said) return;
  said = true;
  // An unsafe directory's message names it; a failed mkdir or write names its path too.
  const reason = error instanceof Error ? error.message : String(error);
  try {
    process.stderr.write(
      `loopscope: ${reason}; going on without the files \`loopscope dump\` reads ` +
        "(a dump still goes to stderr and the events file)\n",
    );
  } catch {
    // stderr closed: nothing else to say it on.
  }
}
