/**
 * The flight recorder's last seconds, asked for on demand (when the view opens and on
 * Refresh), not pushed: what the process did just now, tasks and blocks alike.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { RecorderAnswer } from "../../src/protocol/index.js";
import { api } from "../api.js";
import { formatClock } from "../format.js";
import { RecorderList } from "./RecorderList.js";
import { StaleMarker } from "./StaleMarker.js";

export function RecorderPanel() {
  const [answer, setAnswer] = useState<RecorderAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inflight = useRef<AbortController | null>(null);

  const refresh = useCallback(() => {
    inflight.current?.abort();
    const controller = new AbortController();
    inflight.current = controller;
    setBusy(true);
    api.recorder(controller.signal).then(
      (loaded) => {
        setAnswer(loaded);
        setError(null);
        setBusy(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setError((failure as Error).message);
        setBusy(false);
      },
    );
  }, []);

  useEffect(() => {
    refresh();
    return () => inflight.current?.abort();
  }, [refresh]);

  const recorded = answer?.window;
  return (
    <div class="recorder-panel" data-testid="recorder-panel">
      <p class="table-note">
        <button type="button" onClick={refresh} disabled={busy} data-testid="recorder-refresh">
          Refresh
        </button>{" "}
        <span class="muted">
          the flight recorder's last seconds
          {answer && `, as the process answered at ${formatClock(answer.computedAt)}`}
        </span>
        {answer && <StaleMarker data={answer} />}
        {error && (
          <span class="error-text" role="alert">
            {" "}
            {error}
          </span>
        )}
      </p>
      {answer &&
        (recorded ? (
          <RecorderList window={recorded} end={recorded.until} endLabel="the answer" />
        ) : (
          <p class="muted empty" data-testid="recorder-off">
            the flight recorder is off in this process (LOOPSCOPE_RECORDER_SECONDS=0)
          </p>
        ))}
    </div>
  );
}
