import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { rename, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Where a process writes its dump on SIGUSR2, for `loopscope dump <pid>` to read:
 * `<tmpdir>/loopscope-<pid>.dump` (text) and `<tmpdir>/loopscope-<pid>.dump.json` (the event).
 */
export function dumpFilePaths(pid: number = process.pid): { text: string; json: string } {
  const text = join(tmpdir(), `loopscope-${pid}.dump`);
  return { text, json: `${text}.json` };
}

/**
 * `<tmpdir>/loopscope-<pid>.on`: present while loopscope is on in process `pid` (its SIGUSR2
 * handler installed), so `loopscope dump` can tell a program that calls `start()` itself
 * from one that SIGUSR2 would terminate.
 */
export function onMarkerPath(pid: number = process.pid): string {
  return join(tmpdir(), `loopscope-${pid}.on`);
}

/**
 * When process `pid` started, in clock ticks since boot (`/proc/<pid>/stat`, field 22), or
 * undefined where that cannot be read (not Linux, no such process). A pid is reused once its
 * process is gone; the pair (pid, start) is not, so a marker carries both.
 */
export function processStartTicks(pid: number = process.pid): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is parenthesised and may hold spaces: count from after it.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/**
 * Write `content` to `path` atomically: a reader sees the old file or the whole new one.
 * The temporary file is created exclusively (`wx`), so a planted file or symlink in the
 * shared temporary directory is never written through; rename replaces a link, not its target.
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
