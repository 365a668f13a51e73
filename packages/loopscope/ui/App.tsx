/**
 * The dashboard: one live socket feeds the header, the blocked banner, the task table and,
 * through their stores, the chart and the event log; the HTTP endpoints fill history at
 * load and after each reconnect, and answer what is asked on demand.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import type {
  BlockedNow,
  InspectorStatus,
  LiveMessage,
  TaskGroupSummary,
  TaskQuery,
  TaskQueryAnswer,
} from "../src/protocol/index.js";
import { ApiError, LiveSocket, api, type ConnectionState } from "./api.js";
import { BlockedBanner } from "./components/BlockedBanner.js";
import { EventLog } from "./components/EventLog.js";
import { FinishedTasks } from "./components/FinishedTasks.js";
import { Header } from "./components/Header.js";
import { LoopChart } from "./components/LoopChart.js";
import { RecorderPanel } from "./components/RecorderPanel.js";
import { TaskDetail } from "./components/TaskDetail.js";
import {
  INITIAL_FILTERS,
  TaskFilters,
  queryOf,
  queryText,
  type TaskFilterForm,
} from "./components/TaskFilters.js";
import { TaskTable } from "./components/TaskTable.js";
import { EventStore } from "./event-store.js";
import { useDebounced } from "./hooks.js";
import { LoopHistory } from "./loop-history.js";

/** Typing in the filter box settles this long before the query goes out. */
const FILTER_DEBOUNCE_MS = 250;

type Tab = "tasks" | "finished" | "recorder";

interface Blocked {
  readonly blocked: BlockedNow;
  readonly receivedAt: number;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

/** The event log, re-rendered from its store alone: an event does not redraw the task table. */
function LiveEventLog({ store, error }: { store: EventStore; error: string | null }) {
  const [, setVersion] = useState(0);
  useEffect(() => store.subscribe(() => setVersion((version) => version + 1)), [store]);
  return <EventLog events={store.events} dropped={store.dropped} error={error} />;
}

export function App() {
  const loopHistory = useMemo(() => new LoopHistory(), []);
  const eventStore = useMemo(() => new EventStore(), []);

  const [connection, setConnection] = useState<ConnectionState>({ kind: "connecting", attempt: 0 });
  const [status, setStatus] = useState<InspectorStatus | null>(null);
  const [tasks, setTasks] = useState<TaskQueryAnswer | null>(null);
  const [blocked, setBlocked] = useState<Blocked | null>(null);
  /** Refused messages (another protocol): the page cannot read this server. */
  const [protocolError, setProtocolError] = useState<string | null>(null);
  /** What the server said went wrong on the live channel (a bad query, say). */
  const [serverError, setServerError] = useState<string | null>(null);
  const [historyError, setHistoryError] = useState<string | null>(null);

  const [form, setForm] = useState<TaskFilterForm>(INITIAL_FILTERS);
  const [tab, setTab] = useState<Tab>("tasks");
  const [selectedId, setSelectedId] = useState<number | null>(null);

  const settledForm = useDebounced(form, FILTER_DEBOUNCE_MS);
  // Selects and checkboxes apply at once; only the typed fields wait for the debounce.
  const effectiveForm: TaskFilterForm = {
    ...form,
    name: settledForm.name,
    minAge: settledForm.minAge,
  };
  const built = queryOf(effectiveForm);
  const problem = "problem" in built ? built.problem : null;
  const queryKey = "query" in built ? JSON.stringify(built.query) : null;

  /** The query the table shows: an answer to an earlier one (still in flight when it changed) is dropped. */
  const currentQuery = useRef<string | null>(null);
  currentQuery.current = "query" in built ? queryText(built.query) : null;
  const socket = useRef<LiveSocket | null>(null);
  const loadAbort = useRef<AbortController | null>(null);

  const noteBlocked = useCallback((value: BlockedNow | undefined) => {
    setBlocked(value ? { blocked: value, receivedAt: Date.now() } : null);
  }, []);

  /** The histories the live channel does not replay: loop samples and recent events. */
  const loadHistory = useCallback(() => {
    loadAbort.current?.abort();
    const controller = new AbortController();
    loadAbort.current = controller;
    Promise.all([api.loop(controller.signal), api.events(200, controller.signal)]).then(
      ([loop, events]) => {
        loopHistory.replace(loop.samples);
        eventStore.merge(events.events, events.dropped);
        setHistoryError(null);
      },
      (error: unknown) => {
        if (isAbort(error)) return;
        if (error instanceof ApiError && error.code === "protocol") setProtocolError(error.message);
        else setHistoryError(`history: ${messageOf(error)}`);
      },
    );
  }, [loopHistory, eventStore]);

  const onMessage = useCallback(
    (message: LiveMessage) => {
      switch (message.type) {
        case "hello":
          setStatus(message.status);
          noteBlocked(message.status.blocked);
          setProtocolError(null);
          loadHistory();
          break;
        case "status":
          setStatus(message);
          noteBlocked(message.blocked);
          break;
        case "tasks":
          noteBlocked(message.blocked);
          // Servers of this protocol echo the query; an answer without it is taken as it is.
          if (message.query !== undefined && queryText(message.query) !== currentQuery.current)
            break;
          setTasks(message);
          break;
        case "loop-sample":
          loopHistory.append(message.sample);
          break;
        case "event":
          eventStore.add(message.event);
          break;
        case "error":
          setServerError(`${message.error.code}: ${message.error.message}`);
          break;
      }
    },
    [loopHistory, eventStore, loadHistory, noteBlocked],
  );

  useEffect(() => {
    const live = new LiveSocket({
      onMessage,
      onState: setConnection,
      onRefused: setProtocolError,
    });
    socket.current = live;
    live.start();
    return () => {
      live.stop();
      loadAbort.current?.abort();
    };
  }, [onMessage]);

  // A new query goes to the live channel, and once over HTTP so the table answers now,
  // not at the next push.
  useEffect(() => {
    if (queryKey === null) return;
    const query = JSON.parse(queryKey) as TaskQuery;
    socket.current?.subscribe(query);
    setServerError(null);
    const controller = new AbortController();
    api.tasks(query, controller.signal).then(
      (answer) => {
        if (queryText(answer.query) === currentQuery.current) setTasks(answer);
      },
      (error: unknown) => {
        if (!isAbort(error)) setServerError(`tasks: ${messageOf(error)}`);
      },
    );
    return () => controller.abort();
  }, [queryKey]);

  useEffect(() => {
    document.title = status ? `loopscope · ${status.pid}` : "loopscope inspector";
  }, [status?.pid]);

  const onGroup = useCallback(
    (group: TaskGroupSummary) => {
      if (form.group === "site") setForm({ ...form, site: group.key, group: "" });
      else setSelectedId(group.example.id);
    },
    [form],
  );

  const mode = tasks?.mode ?? status?.mode ?? null;

  return (
    <div class="app">
      <Header status={status} connection={connection} />
      {protocolError && (
        <div class="banner banner-error" role="alert" data-testid="protocol-error">
          {protocolError}
        </div>
      )}
      {serverError && (
        <div class="banner banner-warning" role="alert" data-testid="server-error">
          {serverError}
        </div>
      )}
      {blocked && <BlockedBanner blocked={blocked.blocked} receivedAt={blocked.receivedAt} />}
      <LoopChart history={loopHistory} />
      <div class="columns">
        <main class="panel main-panel">
          <div class="tabs" role="tablist" aria-label="views">
            <button
              type="button"
              role="tab"
              aria-selected={tab === "tasks"}
              onClick={() => setTab("tasks")}
              data-testid="tab-tasks"
            >
              Live tasks
            </button>
            <button
              type="button"
              role="tab"
              aria-selected={tab === "finished"}
              onClick={() => setTab("finished")}
              data-testid="tab-finished"
            >
              Finished
            </button>
            <button
              type="button"
              role="tab"
              aria-selected={tab === "recorder"}
              onClick={() => setTab("recorder")}
              data-testid="tab-recorder"
            >
              Recorder
            </button>
          </div>
          {tab === "tasks" ? (
            <>
              <TaskFilters form={form} onChange={setForm} mode={mode} problem={problem} />
              <TaskTable
                answer={tasks}
                selectedId={selectedId}
                onSelect={setSelectedId}
                onGroup={onGroup}
                grouping={effectiveForm.group}
              />
            </>
          ) : tab === "finished" ? (
            <FinishedTasks onSelect={setSelectedId} />
          ) : (
            <RecorderPanel />
          )}
        </main>
        <aside class="side">
          {selectedId !== null && (
            <TaskDetail
              id={selectedId}
              control={status?.control === true}
              unsampled={tasks?.unsampled ?? 0}
              onSelect={setSelectedId}
              onClose={() => setSelectedId(null)}
            />
          )}
          <LiveEventLog store={eventStore} error={historyError} />
        </aside>
      </div>
    </div>
  );
}
