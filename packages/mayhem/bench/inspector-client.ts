/**
 * A dashboard without a browser: what the inspector's web page asks of a process, asked by
 * a small Node client, so a benchmark can keep a dashboard open on a 2-core machine without
 * a browser taking one of the cores. It connects to the live channel (`/api/live`, token in
 * an `Authorization: Bearer` header), subscribes as the dashboard does (tasks, limit 200,
 * oldest first), and polls `GET /api/loop` and `GET /api/events` every few seconds.
 *
 * The address comes from the process's stderr line (`loopscope: inspector at <url>?token=…`,
 * see {@link parseInspectorLine}) or its address file (`<pid>.inspect.json` in its
 * rendezvous directory, `inspectFilePath` in loopscope; {@link readAddressFile}).
 *
 * Standalone (watch a running process until Ctrl-C, then print what was received):
 *   node --import tsx packages/mayhem/bench/inspector-client.ts <url?token=…>
 *   node --import tsx packages/mayhem/bench/inspector-client.ts --pid <pid>
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { rendezvousDir } from "loopscope/internal";
import type { InspectorAddress, LiveMessage } from "loopscope";
import WebSocket from "ws";

/** The dashboard's subscription (the web page sends the same). */
export const DASHBOARD_SUBSCRIPTION = {
  type: "subscribe",
  tasks: { limit: 200, sort: "age" },
} as const;

/** How often the client polls `/api/loop` and `/api/events`. */
export const POLL_INTERVAL_MS = 2_000;

/** The URL and token of `loopscope: inspector at <url>?token=<token>`, or undefined for another line. */
export function parseInspectorLine(line: string): { url: string; token: string } | undefined {
  const match = /^loopscope: inspector at (\S+)\?token=(\S+)$/.exec(line.trim());
  return match === null ? undefined : { url: match[1]!, token: match[2]! };
}

/**
 * The address file process `pid` wrote: `<pid>.inspect.json` in the rendezvous directory,
 * here this process's own (same user, same `XDG_RUNTIME_DIR`), as `inspectFilePath` finds it.
 */
export function readAddressFile(pid: number): InspectorAddress {
  const path = join(rendezvousDir(), `${pid}.inspect.json`);
  return JSON.parse(readFileSync(path, "utf8")) as InspectorAddress;
}

/** What the client received, by kind. */
export interface DashboardCounts {
  /** Live messages by type (`hello`, `status`, `loop-sample`, `event`, `tasks`, `error`). */
  readonly live: Record<string, number>;
  /** Bytes received on the live channel. */
  liveBytes: number;
  /** Successful `GET /api/loop` and `GET /api/events`. */
  polls: number;
  pollFailures: number;
  /** Milliseconds from `connectDashboard` to the first `tasks` answer. */
  firstTasksMs: number | undefined;
}

/** A connected dashboard. */
export interface Dashboard {
  readonly counts: DashboardCounts;
  /** Close the connection and stop polling. */
  close(): void;
}

/**
 * Connect as the dashboard does; resolves once the live channel is open and the
 * subscription sent. A closed connection (the process ended) just stops the polling.
 */
export async function connectDashboard(url: string, token: string): Promise<Dashboard> {
  const started = performance.now();
  const counts: DashboardCounts = {
    live: {},
    liveBytes: 0,
    polls: 0,
    pollFailures: 0,
    firstTasksMs: undefined,
  };
  const headers = { Authorization: `Bearer ${token}` };
  const socket = new WebSocket(new URL("api/live", url.replace(/^http/, "ws")), { headers });
  socket.on("message", (data: Buffer) => {
    counts.liveBytes += data.length;
    const message = JSON.parse(data.toString("utf8")) as LiveMessage;
    counts.live[message.type] = (counts.live[message.type] ?? 0) + 1;
    if (message.type === "tasks" && counts.firstTasksMs === undefined) {
      counts.firstTasksMs = Math.round(performance.now() - started);
    }
  });
  // The process ending closes the socket under us: not an error for a benchmark.
  socket.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("close", () => reject(new Error(`live channel at ${url} closed before opening`)));
  });
  socket.send(JSON.stringify(DASHBOARD_SUBSCRIPTION));

  const poll = async (): Promise<void> => {
    for (const path of ["api/loop", "api/events"]) {
      try {
        const response = await fetch(new URL(path, url), { headers });
        await response.arrayBuffer();
        if (response.ok) counts.polls++;
        else counts.pollFailures++;
      } catch {
        counts.pollFailures++;
      }
    }
  };
  void poll();
  const timer = setInterval(() => void poll(), POLL_INTERVAL_MS);
  socket.once("close", () => clearInterval(timer));
  return {
    counts,
    close: () => {
      clearInterval(timer);
      socket.terminate();
    },
  };
}

// Standalone use.
if (import.meta.url === `file://${process.argv[1]}`) {
  const pidIndex = process.argv.indexOf("--pid");
  let address: { url: string; token: string } | undefined;
  if (pidIndex !== -1) {
    address = readAddressFile(Number(process.argv[pidIndex + 1]));
  } else if (process.argv[2] !== undefined) {
    const parsed = new URL(process.argv[2]);
    const token = parsed.searchParams.get("token") ?? "";
    parsed.search = "";
    address = { url: parsed.href, token };
  }
  if (address === undefined) {
    throw new TypeError("usage: inspector-client.ts <url?token=…> | --pid <pid>");
  }
  const dashboard = await connectDashboard(address.url, address.token);
  process.once("SIGINT", () => {
    dashboard.close();
    process.stdout.write(`${JSON.stringify(dashboard.counts)}\n`);
  });
}
