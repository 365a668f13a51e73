import type { ConnectionState } from "../api.js";
import { useNow } from "../hooks.js";

export function ConnectionIndicator({ state }: { readonly state: ConnectionState }) {
  const now = useNow(500);
  let text: string;
  if (state.kind === "open") text = "live";
  else if (state.kind === "connecting") text = state.attempt > 0 ? "reconnecting…" : "connecting…";
  else text = `disconnected, retrying in ${Math.max(0, Math.ceil((state.retryAt - now) / 1000))} s`;
  const kind =
    state.kind === "open" ? "open" : state.kind === "connecting" ? "connecting" : "closed";
  return (
    <span
      class={`connection connection-${kind}`}
      data-testid="connection"
      data-state={kind === "closed" ? "disconnected" : kind}
      role="status"
      aria-live="polite"
    >
      <span class="connection-dot" aria-hidden="true" />
      {text}
    </span>
  );
}
