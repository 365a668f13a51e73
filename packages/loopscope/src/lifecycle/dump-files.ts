import { randomBytes } from "node:crypto";
import { renameSync, unlinkSync, writeFileSync } from "node:fs";
import { rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { rendezvousDir, rendezvousOwnerOf } from "./rendezvous.js";

/**
 * Where process `pid` writes its dump on SIGUSR2, for `loopscope dump <pid>` to read:
 * `<pid>.dump` (text) and `<pid>.dump.json` (the event) in its rendezvous directory
 * (by default the one `pid` uses, found from its environment: see {@link rendezvousDir}).
 */
export function dumpFilePaths(
  pid: number = process.pid,
  dir: string = rendezvousDir(rendezvousOwnerOf(pid)),
): { text: string; json: string } {
  const text = join(dir, `${pid}.dump`);
  return { text, json: `${text}.json` };
}

/**
 * `<pid>.on` in the rendezvous directory: present while loopscope is on in process `pid`
 * (its SIGUSR2 handler installed), so `loopscope dump` can tell a program that calls
 * `start()` itself from one that SIGUSR2 would terminate.
 */
export function onMarkerPath(
  pid: number = process.pid,
  dir: string = rendezvousDir(rendezvousOwnerOf(pid)),
): string {
  return join(dir, `${pid}.on`);
}

/**
 * `<pid>.inspect.json` in the rendezvous directory: the inspector's address and token
 * (`InspectorAddress`), mode 0600, present while process `pid` serves the inspector, so
 * `loopscope` commands of the same user find it and nobody else can read the token.
 */
export function inspectFilePath(
  pid: number = process.pid,
  dir: string = rendezvousDir(rendezvousOwnerOf(pid)),
): string {
  return join(dir, `${pid}.inspect.json`);
}

/**
 * `<pid>.inspect-request` in the rendezvous directory: left by `loopscope inspect` before
 * it sends SIGUSR2, so the process opens its inspector instead of writing a dump.
 */
export function inspectRequestPath(
  pid: number = process.pid,
  dir: string = rendezvousDir(rendezvousOwnerOf(pid)),
): string {
  return join(dir, `${pid}.inspect-request`);
}

/**
 * `<pid>.recorder.json` in the rendezvous directory: the flight recorder (`RecorderFile`),
 * mode 0600, written when process `pid` dies of an uncaught exception or an unhandled
 * rejection, and when `loopscope dump <pid> --recorder` asks for it.
 */
export function recorderFilePath(
  pid: number = process.pid,
  dir: string = rendezvousDir(rendezvousOwnerOf(pid)),
): string {
  return join(dir, `${pid}.recorder.json`);
}

/**
 * `<pid>.recorder-request` in the rendezvous directory: left by `loopscope dump --recorder`
 * before it sends SIGUSR2, so the process writes its recorder file instead of a dump.
 */
export function recorderRequestPath(
  pid: number = process.pid,
  dir: string = rendezvousDir(rendezvousOwnerOf(pid)),
): string {
  return join(dir, `${pid}.recorder-request`);
}

/**
 * Write `content` to `path` atomically: a reader sees the old file or the whole new one.
 * The temporary file is created exclusively (`wx`), so a file or symlink planted under its
 * name is never written through; rename replaces a link, not its target.
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(temp, content, { flag: "wx", mode: 0o600 });
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/**
 * {@link writeFileAtomic}, synchronously: for a process that is about to die, whose loop
 * will not turn again.
 */
export function writeFileAtomicSync(path: string, content: string): void {
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    writeFileSync(temp, content, { flag: "wx", mode: 0o600 });
    renameSync(temp, path);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // Never created.
    }
    throw err;
  }
}
