/**
 * What Linux's `/proc` tells about a process: its start time, its initial environment and
 * its real uid. Each reader answers `undefined` where `/proc` cannot be read (other
 * systems, no such process, another user's process), and never throws.
 */
import { readFileSync } from "node:fs";

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
 * The environment process `pid` started with (`/proc/<pid>/environ`). Later changes to its
 * `process.env` are not in it: that is why both sides of a rendezvous read this one.
 */
export function processEnvironment(pid: number): Record<string, string> | undefined {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, "utf8");
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const entry of environ.split("\0")) {
    const equals = entry.indexOf("=");
    // The first definition wins, as getenv(3) finds it.
    if (equals > 0) env[entry.slice(0, equals)] ??= entry.slice(equals + 1);
  }
  return env;
}

/** The real uid of process `pid` (the first number of the `Uid:` line of `/proc/<pid>/status`). */
export function processRealUid(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    return uid === undefined ? undefined : Number(uid);
  } catch {
    return undefined;
  }
}
