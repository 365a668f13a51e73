/**
 * One task in full, refreshed while open. When the server no longer has it pending (404),
 * the task finished: its outcome comes from the history, if the history still holds it.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { FinishedTask, TaskDetailAnswer, TaskSnapshot } from "../../src/protocol/index.js";
import { ApiError, api } from "../api.js";
import { formatClock, formatCount, formatDuration } from "../format.js";
import { useInterval } from "../hooks.js";
import { AwaitingCell, TaskFlags } from "./Awaiting.js";
import { FrameList } from "./FrameList.js";
import { FinishedOutcome } from "./FinishedTasks.js";
import { StaleMarker } from "./StaleMarker.js";

const REFRESH_MS = 2000;

type Detail =
  | { readonly kind: "loading" }
  | { readonly kind: "pending"; readonly answer: TaskDetailAnswer }
  | { readonly kind: "finished"; readonly task: FinishedTask | null }
  | { readonly kind: "failed"; readonly message: string };

interface TaskDetailProps {
  readonly id: number;
  /** Whether the server takes control actions (status.control). */
  readonly control: boolean;
  /** From the task answers: creation frames are being sampled out. */
  readonly unsampled: number;
  readonly onSelect: (id: number) => void;
  readonly onClose: () => void;
}

async function loadDetail(id: number, signal: AbortSignal): Promise<Detail> {
  try {
    return { kind: "pending", answer: await api.task(id, signal) };
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  const history = await api.finished(200, signal);
  return { kind: "finished", task: history.tasks.find((task) => task.id === id) ?? null };
}

function CreationFrames({ task, unsampled }: { task: TaskSnapshot; unsampled: number }) {
  if (task.createdAt.length > 0) return <FrameList frames={task.createdAt} />;
  return (
    <p class="muted">
      {unsampled > 0
        ? "creation frames sampled out under load (production mode)"
        : "creation frames not captured"}
    </p>
  );
}

function CancelButton({ id, disabled }: { id: number; disabled: boolean }) {
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setResult(null), [id]);
  async function cancel(): Promise<void> {
    setBusy(true);
    try {
      const answer = await api.cancel(id);
      setResult(answer.cancelled ? "cancellation requested" : "no pending task has this id");
    } catch (error) {
      setResult(
        error instanceof ApiError && error.status === 403
          ? "control actions are disabled (LOOPSCOPE_INSPECT_CONTROL=1 enables them)"
          : `cancel failed: ${(error as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  }
  return (
    <p>
      <button
        type="button"
        class="danger"
        data-testid="cancel-button"
        disabled={disabled || busy}
        onClick={() => void cancel()}
      >
        Cancel task
      </button>{" "}
      {result && <span role="status">{result}</span>}
    </p>
  );
}

function PendingDetail(props: {
  answer: TaskDetailAnswer;
  control: boolean;
  unsampled: number;
  onSelect: (id: number) => void;
}) {
  const { answer, control, unsampled, onSelect } = props;
  const task = answer.task;
  return (
    <>
      <h2>
        #{task.id} {task.name} <TaskFlags task={task} />
      </h2>
      <StaleMarker data={answer} />
      <dl class="detail-facts">
        <dt>state</dt>
        <dd>
          <span class={`state state-${task.state}`}>{task.state}</span>
        </dd>
        <dt>age</dt>
        <dd>{formatDuration(task.ageMs)}</dd>
        {task.parentId !== undefined && (
          <>
            <dt>parent</dt>
            <dd>
              <button type="button" class="link-button" onClick={() => onSelect(task.parentId!)}>
                #{task.parentId}
              </button>
            </dd>
          </>
        )}
        {task.busyMs !== undefined && (
          <>
            <dt>busy / idle</dt>
            <dd>
              {formatDuration(task.busyMs)} / {formatDuration(task.idleMs ?? 0)}
            </dd>
            <dt>steps</dt>
            <dd>{task.steps ?? "–"}</dd>
          </>
        )}
      </dl>
      {control && <CancelButton id={task.id} disabled={task.cancelRequested === true} />}
      <h3>awaiting</h3>
      {task.awaiting ? (
        <>
          <p>
            <AwaitingCell task={task} />{" "}
            <span class="muted">for {formatDuration(task.awaiting.sinceMs)}</span>
          </p>
          <FrameList frames={task.awaiting.at} empty="await site not known" />
        </>
      ) : (
        <p class="muted">nothing known</p>
      )}
      <h3>created at</h3>
      <CreationFrames task={task} unsampled={unsampled} />
      <h3>
        children <span class="muted">({formatCount(answer.childCount)} pending)</span>
      </h3>
      {answer.children.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        <ul class="children">
          {answer.children.map((child) => (
            <li key={child.id}>
              <button type="button" class="link-button" onClick={() => onSelect(child.id)}>
                #{child.id} {child.name}
              </button>{" "}
              <span class="muted">
                {child.state}, {formatDuration(child.ageMs)}
              </span>{" "}
              <AwaitingCell task={child} />
            </li>
          ))}
          {answer.childCount > answer.children.length && (
            <li class="muted">
              … and {formatCount(answer.childCount - answer.children.length)} more
            </li>
          )}
        </ul>
      )}
    </>
  );
}

function FinishedDetail({ id, task }: { id: number; task: FinishedTask | null }) {
  if (!task) {
    return (
      <>
        <h2>#{id}</h2>
        <p>finished; no longer in the history</p>
      </>
    );
  }
  return (
    <>
      <h2>
        #{task.id} {task.name}
      </h2>
      <p>
        finished: <FinishedOutcome task={task} />
      </p>
      <dl class="detail-facts">
        <dt>ran</dt>
        <dd>
          {formatDuration(task.durationMs)}, ended {formatClock(task.endedAt)}
        </dd>
      </dl>
      {task.error && (
        <>
          <h3>error stack</h3>
          <FrameList frames={task.error.stack} />
        </>
      )}
      <h3>created at</h3>
      <FrameList frames={task.createdAtFrames} empty="creation frames not captured" />
    </>
  );
}

export function TaskDetail({ id, control, unsampled, onSelect, onClose }: TaskDetailProps) {
  const [detail, setDetail] = useState<Detail>({ kind: "loading" });
  const inflight = useRef<AbortController | null>(null);

  const refresh = useCallback(() => {
    // One request at a time: an answer for the task selected before must not land here.
    inflight.current?.abort();
    const controller = new AbortController();
    inflight.current = controller;
    loadDetail(id, controller.signal).then(
      (loaded) => {
        if (!controller.signal.aborted) setDetail(loaded);
      },
      (error: unknown) => {
        if (!controller.signal.aborted) {
          setDetail({ kind: "failed", message: (error as Error).message });
        }
      },
    );
  }, [id]);

  useEffect(() => {
    setDetail({ kind: "loading" });
    refresh();
  }, [refresh]);
  useEffect(() => () => inflight.current?.abort(), []);
  // A finished task does not change any more.
  useInterval(refresh, REFRESH_MS, detail.kind !== "finished");

  return (
    <section class="panel detail" data-testid="task-detail" aria-label={`task ${id}`}>
      <button type="button" class="close" aria-label="close the task detail" onClick={onClose}>
        ✕
      </button>
      {detail.kind === "loading" && <p class="muted">loading task #{id}…</p>}
      {detail.kind === "failed" && (
        <p class="error-text" role="alert">
          task #{id}: {detail.message}
        </p>
      )}
      {detail.kind === "pending" && (
        <PendingDetail
          answer={detail.answer}
          control={control}
          unsampled={unsampled}
          onSelect={onSelect}
        />
      )}
      {detail.kind === "finished" && <FinishedDetail id={id} task={detail.task} />}
    </section>
  );
}
