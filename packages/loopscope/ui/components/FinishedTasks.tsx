/** The history of finished tasks: how each ended. Polled while shown; it is not pushed. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { FinishedTask, FinishedTasksAnswer } from "../../src/protocol/index.js";
import { api } from "../api.js";
import { formatClock, formatCount, formatDuration } from "../format.js";
import { useInterval } from "../hooks.js";
import { StaleMarker } from "./StaleMarker.js";

const REFRESH_MS = 5000;
const LIMIT = 200;

export function FinishedOutcome({ task }: { readonly task: FinishedTask }) {
  switch (task.outcome) {
    case "done":
      return <span class="state state-done">done</span>;
    case "failed":
      return (
        <span>
          <span class="state state-failed">failed</span>{" "}
          {task.error && (
            <span class="error-text">
              {task.error.name}: {task.error.message}
            </span>
          )}
        </span>
      );
    case "cancelled":
      return (
        <span>
          <span class="state state-cancelled">cancelled</span>{" "}
          {task.reason && <span class="muted">{task.reason}</span>}
        </span>
      );
  }
}

export function FinishedTasks({ onSelect }: { readonly onSelect: (id: number) => void }) {
  const [answer, setAnswer] = useState<FinishedTasksAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [auto, setAuto] = useState(true);
  const inflight = useRef<AbortController | null>(null);

  const refresh = useCallback(() => {
    inflight.current?.abort();
    const controller = new AbortController();
    inflight.current = controller;
    api.finished(LIMIT, controller.signal).then(
      (loaded) => {
        setAnswer(loaded);
        setError(null);
      },
      (failure: unknown) => {
        if (!controller.signal.aborted) setError((failure as Error).message);
      },
    );
  }, []);

  useEffect(() => {
    refresh();
    return () => inflight.current?.abort();
  }, [refresh]);
  useInterval(refresh, REFRESH_MS, auto);

  return (
    <div class="finished" data-testid="finished-tasks">
      <p class="table-note">
        <button type="button" onClick={refresh}>
          Refresh
        </button>{" "}
        <label class="inline">
          <input
            type="checkbox"
            checked={auto}
            onChange={(event) => setAuto(event.currentTarget.checked)}
          />{" "}
          every {REFRESH_MS / 1000} s
        </label>
        {answer && (
          <span class="muted">
            {" "}
            · {formatCount(answer.tasks.length)} most recent
            {answer.dropped > 0 && `, ${formatCount(answer.dropped)} older no longer kept`}
          </span>
        )}
        {answer && <StaleMarker data={answer} />}
        {error && (
          <span class="error-text" role="alert">
            {" "}
            {error}
          </span>
        )}
      </p>
      <table class="table">
        <caption class="visually-hidden">Finished tasks, most recent first</caption>
        <thead>
          <tr>
            <th scope="col" class="num">
              id
            </th>
            <th scope="col">name</th>
            <th scope="col">outcome</th>
            <th scope="col" class="num">
              ran
            </th>
            <th scope="col">ended</th>
          </tr>
        </thead>
        <tbody>
          {answer?.tasks.map((task) => (
            <tr
              key={task.id}
              data-testid="finished-row"
              data-task-id={task.id}
              tabIndex={0}
              onClick={() => onSelect(task.id)}
              onKeyDown={(event) => {
                if (event.key === "Enter") onSelect(task.id);
              }}
            >
              <td class="num">{task.id}</td>
              <td class="name" title={task.name}>
                {task.name}
              </td>
              <td class="outcome">
                <FinishedOutcome task={task} />
              </td>
              <td class="num">{formatDuration(task.durationMs)}</td>
              <td>{formatClock(task.endedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {answer && answer.tasks.length === 0 && <p class="muted empty">no finished task yet</p>}
    </div>
  );
}
