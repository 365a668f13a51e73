/** The loop is blocked now: for how long, in which code, in which task. */
import type { BlockedNow } from "../../src/protocol/index.js";
import { formatClock, formatDuration } from "../format.js";
import { useNow } from "../hooks.js";
import { FrameList } from "./FrameList.js";

interface BlockedBannerProps {
  readonly blocked: BlockedNow;
  /** When the page received `blocked`: its `forMs` was true then, and grows since. */
  readonly receivedAt: number;
}

export function BlockedBanner({ blocked, receivedAt }: BlockedBannerProps) {
  const now = useNow(250);
  // The server's figure when it answered, grown by the time since: the page's own clock may
  // differ from the process's, so `since` alone would not do.
  const forMs = blocked.forMs + Math.max(0, now - receivedAt);
  return (
    <section class="banner banner-blocked" data-testid="blocked-banner" role="alert">
      <h2>
        Event loop blocked for {formatDuration(forMs)}
        <span class="muted"> (since {formatClock(blocked.since)})</span>
      </h2>
      {blocked.task && (
        <p>
          in task <strong>#{blocked.task.id}</strong> {blocked.task.name}
        </p>
      )}
      <FrameList frames={blocked.stack} empty="stack not captured yet" />
      <p class="muted">
        Data below is the last the process computed before it blocked, marked stale.
      </p>
    </section>
  );
}
