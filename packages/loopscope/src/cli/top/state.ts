/**
 * What `loopscope top` shows, and how keys change it: plain data and pure functions, so
 * the view and the keys are tested without a terminal or a process.
 */
import type {
  InspectorStatus,
  LoopBlockedEvent,
  LoopSample,
  RecorderAnswer,
  RecorderWindow,
  TaskDetailAnswer,
  TaskGroupSummary,
  TaskQuery,
  TaskQueryAnswer,
  TaskSnapshot,
} from "../../protocol/index.js";
import { isApplicationFrame } from "../../protocol/index.js";

/** The task table's columns, in order; each can sort the table. */
export const COLUMNS = ["id", "name", "state", "age", "busy", "awaiting", "where"] as const;
export type Column = (typeof COLUMNS)[number];

/** How the table groups tasks: not at all, by creation site, or by identical subtrees. */
export const GROUPINGS = ["none", "site", "subtree"] as const;
export type Grouping = (typeof GROUPINGS)[number];

export type View = "tasks" | "detail" | "blocks" | "recorder" | "help";

/**
 * Which flight-recorder window the recorder view shows: the one the latest block carries
 * (what led up to it), or the process's last seconds, asked for when shown.
 */
export type RecorderSource = "block" | "live";

/** Tasks the table asks for: the top of the server's order, sorted again here by any column. */
export const TASK_LIMIT = 500;
/** Loop samples kept for the sparkline (one a second). */
const MAX_SAMPLES = 600;
/** Blocks kept for the blocks view, latest first. */
const MAX_BLOCKS = 20;

export interface TopState {
  /** What `top` watches, as the header names it: `pid 1234`, or the inspector's host. */
  readonly target: string;
  readonly status?: InspectorStatus;
  readonly samples: readonly LoopSample[];
  readonly blocks: readonly LoopBlockedEvent[];
  readonly answer?: TaskQueryAnswer;
  readonly sort: Column;
  /** Largest (or last, for text) first. */
  readonly descending: boolean;
  readonly filter: string;
  /** Keys go to the filter while it is being typed. */
  readonly typingFilter: boolean;
  readonly grouping: Grouping;
  /** Keep only tasks created here (a group picked in the site view). */
  readonly site?: string;
  /** The selected row, by position in the table as shown. */
  readonly selected: number;
  readonly view: View;
  readonly detail?: TaskDetailAnswer;
  readonly recorderSource: RecorderSource;
  /** The live window, as the process last answered it; absent while asked for. */
  readonly liveRecorder?: RecorderAnswer;
  /** Entries scrolled back from the window's end in the recorder view (0: its newest shown). */
  readonly recorderScroll: number;
  /** The task whose cancel waits for `y`. */
  readonly confirmCancel?: { readonly id: number; readonly name: string };
  /** A line for the user: what a key did, or why it could not. */
  readonly message?: { readonly text: string; readonly tone: "info" | "alert" };
  /** `gone`: the process, or its inspector, went away; the last picture stays on screen. */
  readonly connection: "connecting" | "live" | "gone";
  readonly goneReason?: string;
}

export function initialState(target: string): TopState {
  return {
    target,
    samples: [],
    blocks: [],
    sort: "age",
    descending: true,
    filter: "",
    typingFilter: false,
    grouping: "none",
    selected: 0,
    view: "tasks",
    recorderSource: "block",
    recorderScroll: 0,
    connection: "connecting",
  };
}

/** What a key asks of the program beyond a new state. */
export type Effect =
  | { readonly type: "quit" }
  /** The task query changed: subscribe again. */
  | { readonly type: "query" }
  | { readonly type: "detail"; readonly id: number }
  /** The flight recorder's live window: ask `/api/recorder`. */
  | { readonly type: "recorder" }
  | { readonly type: "cancel"; readonly id: number };

export interface KeyResult {
  readonly state: TopState;
  readonly effect?: Effect;
}

/** The query the live channel pushes for this state. */
export function taskQueryOf(state: TopState): TaskQuery {
  const query: { -readonly [K in keyof TaskQuery]: TaskQuery[K] } = {
    sort: state.sort === "busy" ? "busy" : state.sort === "name" ? "name" : "age",
    limit: TASK_LIMIT,
  };
  if (state.filter !== "") query.name = state.filter;
  if (state.site !== undefined) query.site = state.site;
  if (state.grouping !== "none") query.group = state.grouping;
  return query;
}

/** Whether `answer` answers the query this state asks now (not one it asked before). */
export function answersCurrentQuery(state: TopState, answer: TaskQueryAnswer): boolean {
  const asked = taskQueryOf(state);
  const got = answer.query;
  return (
    (got.name ?? "") === (asked.name ?? "") &&
    got.site === asked.site &&
    got.group === asked.group &&
    (got.sort ?? "age") === asked.sort
  );
}

/**
 * The answer the table shows: the last one, while a new filter or order is asked for (the
 * table changes once, when the new one arrives); none while a new grouping is, since
 * tasks cannot stand for groups.
 */
export function shownAnswer(state: TopState): TaskQueryAnswer | undefined {
  const answer = state.answer;
  if (answer === undefined || (answer.query.group ?? "none") !== state.grouping) return undefined;
  return answer;
}

/** One row of the table: a task, or a group of tasks. */
export type Row =
  | { readonly kind: "task"; readonly task: TaskSnapshot }
  | { readonly kind: "group"; readonly group: TaskGroupSummary };

/** The table's rows as shown: the answer's tasks (or groups), sorted by the chosen column. */
export function rowsOf(state: TopState): readonly Row[] {
  const answer = shownAnswer(state);
  if (answer === undefined) return [];
  const direction = state.descending ? -1 : 1;
  if (state.grouping !== "none") {
    const groups = [...(answer.groups ?? [])];
    const key = (group: TaskGroupSummary): number | string =>
      state.sort === "name"
        ? group.label
        : state.sort === "age"
          ? group.oldestAgeMs
          : state.sort === "where"
            ? group.key
            : group.count;
    groups.sort((a, b) => direction * compare(key(a), key(b)));
    return groups.map((group) => ({ kind: "group", group }));
  }
  const tasks = [...answer.tasks];
  const key = sortKey(state.sort);
  tasks.sort((a, b) => direction * compare(key(a), key(b)) || a.id - b.id);
  return tasks.map((task) => ({ kind: "task", task }));
}

function sortKey(column: Column): (task: TaskSnapshot) => number | string {
  switch (column) {
    case "id":
      return (task) => task.id;
    case "name":
      return (task) => task.name;
    case "state":
      return (task) => task.state;
    case "age":
      return (task) => task.ageMs;
    case "busy":
      return (task) => task.busyMs ?? -1;
    case "awaiting":
      return (task) => task.awaiting?.what ?? "";
    case "where":
      return (task) => whereOf(task);
  }
}

function compare(a: number | string, b: number | string): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** The line a task waits on (its await), else where it was created: `file:line`. */
export function whereOf(task: TaskSnapshot): string {
  const frame =
    task.awaiting?.at.find(isApplicationFrame) ??
    task.createdAt.find(isApplicationFrame) ??
    task.awaiting?.at[0] ??
    task.createdAt[0];
  return frame === undefined ? "" : `${frame.file}:${frame.line}`;
}

/** Apply a live status message. */
export function withStatus(state: TopState, status: InspectorStatus): TopState {
  return { ...state, status, connection: "live" };
}

export function withSample(state: TopState, sample: LoopSample): TopState {
  return { ...state, samples: bounded([...state.samples, sample], MAX_SAMPLES) };
}

export function withSamples(state: TopState, samples: readonly LoopSample[]): TopState {
  return { ...state, samples: bounded([...samples], MAX_SAMPLES) };
}

/** Add blocks, latest first. */
export function withBlocks(state: TopState, blocks: readonly LoopBlockedEvent[]): TopState {
  const latestFirst = [...blocks].reverse();
  const next = { ...state, blocks: [...latestFirst, ...state.blocks].slice(0, MAX_BLOCKS) };
  // The recorder view follows the latest block, from its newest entries.
  return state.view === "recorder" && state.recorderSource === "block" && blocks.length > 0
    ? { ...next, recorderScroll: 0 }
    : next;
}

/** Apply a task answer; an answer to an earlier query is ignored. */
export function withAnswer(state: TopState, answer: TaskQueryAnswer): TopState {
  if (!answersCurrentQuery(state, answer)) return state;
  const next = { ...state, answer };
  // The selection follows its task (or group) as rows come and go; if it is gone, the
  // row at its place is selected.
  const before = rowsOf(state)[state.selected];
  const moved = before === undefined ? -1 : rowsOf(next).findIndex((row) => sameRow(row, before));
  return { ...next, selected: moved >= 0 ? moved : clampSelection(next, state.selected) };
}

function sameRow(a: Row, b: Row): boolean {
  if (a.kind === "task" && b.kind === "task")
    return a.task.id === b.task.id && a.task.name === b.task.name;
  if (a.kind === "group" && b.kind === "group") return a.group.key === b.group.key;
  return false;
}

export function withDetail(state: TopState, detail: TaskDetailAnswer): TopState {
  return state.view === "detail" ? { ...state, detail } : state;
}

/** Apply the answer of `/api/recorder`; kept only while the recorder view wants it. */
export function withRecorder(state: TopState, answer: RecorderAnswer): TopState {
  return state.view === "recorder" && state.recorderSource === "live"
    ? { ...state, liveRecorder: answer, recorderScroll: 0 }
    : state;
}

/**
 * The window the recorder view shows, and the end its times are relative to: the latest
 * block's (its end), or the live one (the answer's end); `undefined` while the live one
 * is asked for, `window` absent when the process runs without the recorder.
 */
export function shownRecorder(
  state: TopState,
): { readonly window?: RecorderWindow; readonly end: number; readonly stale: boolean } | undefined {
  if (state.recorderSource === "block") {
    const block = state.blocks[0];
    if (block?.recorder === undefined) return undefined;
    return { window: block.recorder, end: block.endedAt ?? block.recorder.until, stale: false };
  }
  const answer = state.liveRecorder;
  if (answer === undefined) return undefined;
  return {
    ...(answer.window === undefined ? {} : { window: answer.window }),
    end: answer.window?.until ?? answer.computedAt,
    stale: answer.stale,
  };
}

export function withMessage(state: TopState, text: string, tone: "info" | "alert"): TopState {
  return { ...state, message: { text, tone } };
}

export function gone(state: TopState, reason: string): TopState {
  return { ...state, connection: "gone", goneReason: reason };
}

function bounded<T>(list: T[], max: number): T[] {
  return list.length > max ? list.slice(list.length - max) : list;
}

function clampSelection(state: TopState, selected: number): number {
  const count = rowsOf(state).length;
  return Math.max(0, Math.min(selected, count - 1));
}

/**
 * A key, named as terminal-kit names them (`UP`, `ENTER`, `CTRL_C`, or the character
 * itself), applied to the state. `pageRows` is how many rows a page moves.
 */
export function pressKey(state: TopState, key: string, pageRows: number): KeyResult {
  // Whatever else is going on, Ctrl-C ends top.
  if (key === "CTRL_C") return { state, effect: { type: "quit" } };
  const cleared = state.message === undefined ? state : { ...state, message: undefined };
  if (state.confirmCancel !== undefined) return confirmKey(cleared, key);
  if (state.typingFilter) return filterKey(cleared, key);
  switch (key) {
    case "q":
      return { state, effect: { type: "quit" } };
    case "ESCAPE":
      return escapeKey(cleared);
    case "?":
    case "h":
      return { state: { ...cleared, view: cleared.view === "help" ? "tasks" : "help" } };
    case "b":
      return { state: { ...cleared, view: cleared.view === "blocks" ? "tasks" : "blocks" } };
    case "f":
      return cleared.view === "recorder"
        ? { state: { ...cleared, view: "tasks" } }
        : showRecorder(cleared, cleared.blocks[0]?.recorder !== undefined ? "block" : "live");
  }
  if (state.view === "detail") return detailKey(cleared, key);
  if (state.view === "recorder") return recorderKey(cleared, key, pageRows);
  if (state.view !== "tasks") return { state: cleared };
  return tableKey(cleared, key, pageRows);
}

function escapeKey(state: TopState): KeyResult {
  if (state.view !== "tasks") return { state: { ...state, view: "tasks", detail: undefined } };
  if (state.filter !== "" || state.site !== undefined) {
    return { state: { ...state, filter: "", site: undefined, selected: 0 }, effect: query };
  }
  return { state };
}

const query: Effect = { type: "query" };

function tableKey(state: TopState, key: string, pageRows: number): KeyResult {
  const rows = rowsOf(state);
  const move = (selected: number): KeyResult => ({
    state: { ...state, selected: Math.max(0, Math.min(selected, rows.length - 1)) },
  });
  switch (key) {
    case "UP":
    case "k":
      return move(state.selected - 1);
    case "DOWN":
    case "j":
      return move(state.selected + 1);
    case "PAGE_UP":
      return move(state.selected - pageRows);
    case "PAGE_DOWN":
      return move(state.selected + pageRows);
    case "HOME":
      return move(0);
    case "END":
      return move(rows.length - 1);
    case "/":
      return { state: { ...state, typingFilter: true } };
    case "s":
    case "RIGHT":
      return sortBy(state, COLUMNS[(COLUMNS.indexOf(state.sort) + 1) % COLUMNS.length]!);
    case "S":
    case "LEFT":
      return sortBy(
        state,
        COLUMNS[(COLUMNS.indexOf(state.sort) + COLUMNS.length - 1) % COLUMNS.length]!,
      );
    case "r":
      return { state: { ...state, descending: !state.descending } };
    case "g": {
      const grouping = GROUPINGS[(GROUPINGS.indexOf(state.grouping) + 1) % GROUPINGS.length]!;
      return { state: { ...state, grouping, selected: 0 }, effect: query };
    }
    case "ENTER":
      return open(state, rows[state.selected]);
    case "c":
      return askCancel(state, rows[state.selected]);
  }
  const column = /^[1-7]$/.test(key) ? COLUMNS[Number(key) - 1] : undefined;
  if (column !== undefined) {
    return column === state.sort
      ? { state: { ...state, descending: !state.descending } }
      : sortBy(state, column);
  }
  return { state };
}

/** Sort by `column`: numbers largest first, text in order. The server's order follows. */
function sortBy(state: TopState, column: Column): KeyResult {
  const descending = column === "age" || column === "busy";
  const next = { ...state, sort: column, descending, selected: 0 };
  const serverOrderChanged = taskQueryOf(next).sort !== taskQueryOf(state).sort;
  return serverOrderChanged ? { state: next, effect: query } : { state: next };
}

function open(state: TopState, row: Row | undefined): KeyResult {
  if (row === undefined) return { state };
  if (row.kind === "group") {
    // A site group opens as the table of its tasks; a subtree group has no site to keep.
    if (state.grouping !== "site") return { state };
    return {
      state: { ...state, grouping: "none", site: row.group.key, selected: 0 },
      effect: query,
    };
  }
  if (row.task.id === 0) {
    return {
      state: withMessage(state, "an async call outside any task has no detail", "info"),
    };
  }
  return {
    state: { ...state, view: "detail", detail: undefined },
    effect: { type: "detail", id: row.task.id },
  };
}

function detailKey(state: TopState, key: string): KeyResult {
  const task = state.detail?.task;
  if (key === "c" && task !== undefined) return askCancel(state, { kind: "task", task });
  return { state };
}

function askCancel(state: TopState, row: Row | undefined): KeyResult {
  if (row === undefined || row.kind !== "task" || row.task.id === 0) {
    return { state: withMessage(state, "select a task to cancel", "info") };
  }
  if (state.status?.control !== true) {
    return {
      state: withMessage(
        state,
        "control is off: start the process with LOOPSCOPE_INSPECT_CONTROL=1 to cancel tasks",
        "alert",
      ),
    };
  }
  return { state: { ...state, confirmCancel: { id: row.task.id, name: row.task.name } } };
}

function confirmKey(state: TopState, key: string): KeyResult {
  const asked = state.confirmCancel;
  const next = { ...state, confirmCancel: undefined };
  if (asked !== undefined && (key === "y" || key === "Y")) {
    return { state: next, effect: { type: "cancel", id: asked.id } };
  }
  return { state: withMessage(next, "not cancelled", "info") };
}

/** The recorder view, from its newest entries; a live window is asked for afresh. */
function showRecorder(state: TopState, source: RecorderSource): KeyResult {
  const next: TopState = { ...state, view: "recorder", recorderSource: source, recorderScroll: 0 };
  return source === "live"
    ? { state: { ...next, liveRecorder: undefined }, effect: { type: "recorder" } }
    : { state: next };
}

function recorderKey(state: TopState, key: string, pageRows: number): KeyResult {
  const count = shownRecorder(state)?.window?.entries.length ?? 0;
  const scroll = (to: number): KeyResult => ({
    state: { ...state, recorderScroll: Math.max(0, Math.min(to, count - 1)) },
  });
  switch (key) {
    case "l":
      // The live window and the latest block's in turn; again live when no block has one.
      return showRecorder(
        state,
        state.recorderSource === "live" && state.blocks[0]?.recorder !== undefined
          ? "block"
          : "live",
      );
    case "UP":
    case "k":
      return scroll(state.recorderScroll + 1);
    case "DOWN":
    case "j":
      return scroll(state.recorderScroll - 1);
    case "PAGE_UP":
      return scroll(state.recorderScroll + pageRows);
    case "PAGE_DOWN":
      return scroll(state.recorderScroll - pageRows);
    case "HOME":
      return scroll(count - 1);
    case "END":
      return scroll(0);
  }
  return { state };
}

function filterKey(state: TopState, key: string): KeyResult {
  switch (key) {
    case "ENTER":
      return { state: { ...state, typingFilter: false } };
    case "ESCAPE":
      return { state: { ...state, typingFilter: false, filter: "", selected: 0 }, effect: query };
    case "BACKSPACE":
      return {
        state: { ...state, filter: [...state.filter].slice(0, -1).join(""), selected: 0 },
        effect: query,
      };
  }
  // A printable character (terminal-kit names other keys in capitals with underscores).
  if ([...key].length === 1 && key >= " " && state.filter.length < 200) {
    return { state: { ...state, filter: state.filter + key, selected: 0 }, effect: query };
  }
  return { state };
}
