import type { Freshness } from "../../src/protocol/index.js";
import { formatDuration } from "../format.js";

/**
 * Says when an answer is the one the server kept because the loop did not answer in time.
 * The age uses the page's clock against the process's: close enough on one machine.
 */
export function StaleMarker({ data }: { readonly data: Freshness }) {
  if (!data.stale) return null;
  const age = Math.max(0, Date.now() - data.computedAt);
  return (
    <span class="stale" data-testid="stale" title="the loop did not answer in time">
      stale · computed {formatDuration(age)} ago
    </span>
  );
}
