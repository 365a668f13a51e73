/** The process at a glance: who it is, how big, how busy, and what was dropped. */
import type { InspectorStatus } from "../../src/protocol/index.js";
import type { ConnectionState } from "../api.js";
import { formatBytes, formatCount, formatDuration } from "../format.js";
import { ConnectionIndicator } from "./ConnectionIndicator.js";
import { ProfileButton } from "./ProfileButton.js";

interface HeaderProps {
  readonly status: InspectorStatus | null;
  readonly connection: ConnectionState;
}

function Fact({ label, value, title }: { label: string; value: string; title?: string }) {
  return (
    <div class="fact" title={title}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

export function Header({ status, connection }: HeaderProps) {
  const dropped = status?.dropped;
  return (
    <header class="header">
      <div class="header-top">
        <h1>
          loopscope <span class="muted">inspector</span>
        </h1>
        <ConnectionIndicator state={connection} />
        <span class="header-spacer" />
        <ProfileButton pid={status?.pid ?? null} />
      </div>
      {status ? (
        <dl class="facts">
          <Fact label="pid" value={String(status.pid)} />
          <Fact label="node" value={status.node} />
          <Fact label="command" value={status.command} title={status.command} />
          <Fact label="uptime" value={formatDuration(status.uptimeMs)} />
          <Fact
            label="memory"
            value={`rss ${formatBytes(status.memory.rss)} · heap ${formatBytes(status.memory.heapUsed)} / ${formatBytes(status.memory.heapTotal)}`}
            title={`external ${formatBytes(status.memory.external)}`}
          />
          <Fact label="mode" value={status.mode} />
          <Fact label="tasks pending" value={formatCount(status.tasksPending)} />
          {dropped && (
            <Fact
              label="dropped"
              value={`events ${formatCount(dropped.events)} · slow clients ${formatCount(dropped.slowClients)} · bad requests ${formatCount(dropped.badRequests)}`}
            />
          )}
          {status.control && <Fact label="control" value="enabled" />}
        </dl>
      ) : (
        <p class="muted facts">waiting for the process's status…</p>
      )}
    </header>
  );
}
