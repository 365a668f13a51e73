/**
 * `loopscope top`'s picture: the state drawn as exactly `height` lines of at most `width`
 * cells, each a list of styled segments. Pure: the screen module paints it, tests read it.
 */
import type {
  Frame,
  LoopBlockedEvent,
  LoopSample,
  RecorderEntry,
  RecorderWindow,
  TaskSnapshot,
} from "../../protocol/index.js";
import { isApplicationFrame } from "../../protocol/index.js";
import { displayPath, formatDuration, formatMs, taskLabel } from "../../render/index.js";
import type { Column, TopState } from "./state.js";
import {
  COLUMNS,
  answersCurrentQuery,
  rowsOf,
  shownAnswer,
  shownRecorder,
  whereOf,
} from "./state.js";

export type Tone = "plain" | "dim" | "bold" | "header" | "selected" | "alert" | "warn" | "good";

export interface Segment {
  readonly text: string;
  readonly tone: Tone;
}

export type Line = readonly Segment[];

/** Rows above the table (header, loop line, banner, column titles) and below it (footer). */
const TABLE_TOP = 4;
const FOOTER_ROWS = 1;

/** How many rows of tasks fit: what a page key moves. */
export function tableRows(height: number): number {
  return Math.max(1, height - TABLE_TOP - FOOTER_ROWS);
}

export function renderView(state: TopState, width: number, height: number): Line[] {
  const bodyRows = tableRows(height) + 1;
  const body =
    state.view === "detail"
      ? detailLines(state, width)
      : state.view === "blocks"
        ? blocksLines(state, width)
        : state.view === "recorder"
          ? recorderLines(state, bodyRows)
          : state.view === "help"
            ? helpLines()
            : tableLines(state, width, bodyRows);
  const lines: Line[] = [headerLine(state), loopLine(state, width), bannerLine(state), ...body];
  const visible = lines.slice(0, Math.max(0, height - FOOTER_ROWS));
  while (visible.length < height - FOOTER_ROWS) visible.push([]);
  visible.push(footerLine(state));
  return visible.map((line) => fit(line, width));
}

function headerLine(state: TopState): Line {
  const status = state.status;
  const parts = [`loopscope top · ${state.target}`];
  if (status !== undefined) {
    parts.push(
      `node ${status.node}`,
      status.mode,
      `up ${formatDuration(status.uptimeMs)}`,
      `rss ${formatBytes(status.memory.rss)}`,
      `heap ${formatBytes(status.memory.heapUsed)}`,
      `${status.tasksPending.toLocaleString("en-US")} pending`,
    );
  }
  const connection: Segment =
    state.connection === "live"
      ? { text: " live ", tone: "good" }
      : state.connection === "gone"
        ? { text: " gone ", tone: "alert" }
        : { text: " connecting ", tone: "warn" };
  return [{ text: `${parts.join(" · ")} `, tone: "header" }, connection];
}

const SPARK = "▁▂▃▄▅▆▇█";

/** The loop's delay (p99 per second) as a sparkline, scaled to its largest value shown. */
export function sparkline(samples: readonly LoopSample[], cells: number): string {
  if (cells <= 0) return "";
  const shown = samples.slice(-cells);
  const max = Math.max(1, ...shown.map((sample) => sample.delayP99Ms));
  return shown
    .map((sample) => SPARK[Math.min(7, Math.floor((sample.delayP99Ms / max) * 7.999))])
    .join("");
}

function loopLine(state: TopState, width: number): Line {
  const last = state.samples.at(-1);
  const figures =
    last === undefined
      ? " waiting for the first second"
      : ` p99 ${formatMs(last.delayP99Ms)} · max ${formatMs(last.delayMaxMs)} · busy ${Math.round(last.utilization * 100)}%`;
  const latest = state.blocks[0];
  const block =
    latest === undefined
      ? ""
      : ` · last block ${formatMs(latest.durationMs)} ${causeWord(latest)}${blamed(latest)}`;
  const dropped = state.status?.dropped;
  const drops =
    dropped !== undefined && dropped.events + dropped.slowClients > 0
      ? ` · dropped ${dropped.events} events, ${dropped.slowClients} clients`
      : "";
  const label = "loop delay ";
  const spark = sparkline(state.samples, Math.min(60, Math.max(10, Math.floor(width / 4))));
  return [
    { text: label, tone: "dim" },
    { text: spark, tone: "good" },
    { text: figures + block + drops, tone: "plain" },
  ];
}

function bannerLine(state: TopState): Line {
  if (state.connection === "gone") {
    return [{ text: ` ${state.goneReason ?? "the process is gone"} · q quits `, tone: "alert" }];
  }
  const blocked = state.status?.blocked;
  if (blocked !== undefined) {
    const where = blocked.stack.length > 0 ? ` at ${shortFrame(firstApp(blocked.stack))}` : "";
    const task =
      blocked.task === undefined ? "" : ` in task ${blocked.task.id} "${blocked.task.name}"`;
    return [
      {
        text: ` LOOP BLOCKED for ${formatDuration(blocked.forMs)}${where}${task}: the table is the last answer before it `,
        tone: "alert",
      },
    ];
  }
  if (state.confirmCancel !== undefined) {
    const { id, name } = state.confirmCancel;
    return [{ text: ` cancel task ${id} "${name}"? y / n `, tone: "warn" }];
  }
  if (state.message !== undefined) {
    return [
      { text: ` ${state.message.text} `, tone: state.message.tone === "alert" ? "alert" : "warn" },
    ];
  }
  return [];
}

interface ColumnLayout {
  readonly column: Column;
  readonly title: string;
  readonly width: number;
  readonly right: boolean;
}

/** Fixed columns keep their width; name, awaiting and where share what is left. */
function layout(width: number, debug: boolean): ColumnLayout[] {
  const fixed: Partial<Record<Column, number>> = { id: 7, state: 8, age: 9, busy: debug ? 9 : 0 };
  const used = Object.values(fixed).reduce((sum, cells) => sum + cells, 0);
  const flexible = Math.max(24, width - used - COLUMNS.length);
  const share: Partial<Record<Column, number>> = {
    name: Math.floor(flexible * 0.34),
    awaiting: Math.floor(flexible * 0.28),
  };
  share.where = flexible - share.name! - share.awaiting!;
  const titles: Record<Column, string> = {
    id: "ID",
    name: "NAME",
    state: "STATE",
    age: "AGE",
    busy: "BUSY",
    awaiting: "AWAITING",
    where: "WHERE",
  };
  return COLUMNS.filter((column) => column !== "busy" || debug).map((column) => ({
    column,
    title: titles[column],
    width: fixed[column] ?? share[column] ?? 10,
    right: column === "id" || column === "age" || column === "busy",
  }));
}

function tableLines(state: TopState, width: number, rows: number): Line[] {
  const answer = shownAnswer(state);
  if (answer === undefined) return [[{ text: "asking the process…", tone: "dim" }]];
  if (state.grouping !== "none") return groupLines(state, width, rows);
  const columns = layout(width, answer.mode === "debug");
  const arrow = state.descending ? "▼" : "▲";
  const header: Segment[] = columns.map((col, index) => ({
    text:
      cell(`${col.title}${col.column === state.sort ? arrow : ""}`, col.width, col.right) +
      (index < columns.length - 1 ? " " : ""),
    tone: "header",
  }));
  const all = rowsOf(state);
  const start = scrollStart(state.selected, all.length, rows - 1);
  const lines: Line[] = [header];
  all.slice(start, start + rows - 1).forEach((row, offset) => {
    if (row.kind !== "task") return;
    const selected = start + offset === state.selected;
    const text = columns
      .map((col) =>
        col.column === "where"
          ? tailCell(taskCell(row.task, col.column), col.width)
          : cell(taskCell(row.task, col.column), col.width, col.right),
      )
      .join(" ");
    lines.push([{ text, tone: selected ? "selected" : row.task.neverResumes ? "warn" : "plain" }]);
  });
  if (all.length === 0) lines.push([{ text: emptyText(state), tone: "dim" }]);
  return lines;
}

function emptyText(state: TopState): string {
  return state.filter !== "" || state.site !== undefined
    ? "no pending task matches (Esc clears the filter)"
    : "no pending tasks";
}

function groupLines(state: TopState, width: number, rows: number): Line[] {
  const countWidth = 8;
  const ageWidth = 9;
  const labelWidth = Math.max(20, Math.floor((width - countWidth - ageWidth - 3) * 0.55));
  const exampleWidth = Math.max(10, width - countWidth - ageWidth - labelWidth - 3);
  const arrow = state.descending ? "▼" : "▲";
  const title = (text: string, column: Column | "count"): string =>
    `${text}${state.sort === column || (column === "count" && !["name", "age", "where"].includes(state.sort)) ? arrow : ""}`;
  const header: Line = [
    {
      text: `${cell(title("TASKS", "count"), countWidth, true)} ${cell(title("OLDEST", "age"), ageWidth, true)} ${cell(title(state.grouping === "site" ? "CREATED AT" : "SUBTREE", "name"), labelWidth, false)} ${cell("WAITS ON", exampleWidth, false)}`,
      tone: "header",
    },
  ];
  const all = rowsOf(state);
  const start = scrollStart(state.selected, all.length, rows - 1);
  const lines: Line[] = [header];
  all.slice(start, start + rows - 1).forEach((row, offset) => {
    if (row.kind !== "group") return;
    const { group } = row;
    const text = `${cell(group.count.toLocaleString("en-US"), countWidth, true)} ${cell(formatDuration(group.oldestAgeMs), ageWidth, true)} ${tailCell(group.label, labelWidth)} ${cell(group.example.awaiting?.what ?? "", exampleWidth, false)}`;
    lines.push([{ text, tone: start + offset === state.selected ? "selected" : "plain" }]);
  });
  if (all.length === 0) lines.push([{ text: emptyText(state), tone: "dim" }]);
  return lines;
}

/** The first row shown, so that the selected one is visible. */
function scrollStart(selected: number, count: number, visible: number): number {
  if (visible <= 0 || count <= visible) return 0;
  return Math.min(Math.max(0, selected - visible + 1), count - visible);
}

function taskCell(task: TaskSnapshot, column: Column): string {
  switch (column) {
    case "id":
      return task.id === 0 ? "-" : String(task.id);
    case "name":
      return task.name;
    case "state":
      return task.cancelRequested === true
        ? "cancel…"
        : task.neverResumes === true
          ? "stuck"
          : task.state;
    case "age":
      return formatDuration(task.ageMs);
    case "busy":
      return task.busyMs === undefined ? "" : formatMs(task.busyMs);
    case "awaiting":
      return task.awaiting?.what ?? "";
    case "where": {
      const where = whereOf(task);
      return where === "" ? "" : displayPath(where);
    }
  }
}

function detailLines(state: TopState, width: number): Line[] {
  const detail = state.detail;
  if (detail === undefined) return [[{ text: "asking the process for the task…", tone: "dim" }]];
  const { task } = detail;
  const lines: Line[] = [
    [
      { text: `task ${task.id} "${task.name}"`, tone: "bold" },
      { text: `  ${task.state}`, tone: "plain" },
    ],
    [
      {
        text: [
          `age ${formatDuration(task.ageMs)}`,
          task.parentId === undefined ? "" : `parent ${task.parentId}`,
          task.busyMs === undefined ? "" : `busy ${formatMs(task.busyMs)}`,
          task.idleMs === undefined ? "" : `idle ${formatMs(task.idleMs)}`,
          task.steps === undefined ? "" : `${task.steps} steps`,
          task.cancelRequested === true ? "cancel requested" : "",
        ]
          .filter((part) => part !== "")
          .join(" · "),
        tone: "plain",
      },
    ],
    [],
    [
      {
        text: `awaiting ${task.awaiting?.what ?? "(unknown)"}${task.awaiting === undefined ? "" : ` for ${formatDuration(task.awaiting.sinceMs)}`}`,
        tone: "bold",
      },
    ],
    ...frameLines(task.awaiting?.at ?? [], 6),
    [],
    [{ text: "created at", tone: "bold" }],
    ...frameLines(task.createdAt, 8),
    [],
    [{ text: `children: ${detail.childCount}`, tone: "bold" }],
    ...detail.children.map((child): Line => [
      {
        text: `  ${child.id} "${child.name}" ${formatDuration(child.ageMs)} · ${child.awaiting?.what ?? ""}`,
        tone: "plain",
      },
    ]),
  ];
  if (detail.stale)
    lines.splice(2, 0, [
      { text: "stale: the loop is blocked; this is its last answer", tone: "warn" },
    ]);
  return lines.map((line) => fit(line, width));
}

function frameLines(frames: readonly Frame[], max: number): Line[] {
  if (frames.length === 0) return [[{ text: "  (not captured)", tone: "dim" }]];
  return frames.slice(0, max).map((frame): Line => [
    {
      text: `  at ${frame.fn} (${displayPath(frame.file)}:${frame.line}:${frame.col})`,
      tone: isApplicationFrame(frame) ? "plain" : "dim",
    },
  ]);
}

/**
 * A block's cause in a short word with its key figure: `js`, `native JSON.parse`,
 * `many ≥12`, `gc 640 ms`, `paused`, `unknown` (also for a report without a cause, from a
 * loopscope that did not send one).
 */
export function causeWord(block: LoopBlockedEvent): string {
  const evidence = block.evidence ?? {};
  switch (block.cause) {
    case "javascript":
      return "js";
    case "native-call":
      return evidence.nativeCall === undefined ? "native" : `native ${evidence.nativeCall}`;
    case "many-callbacks":
      return `many ≥${evidence.callbacks ?? 2}`;
    case "gc":
      return evidence.gcMs === undefined ? "gc" : `gc ${formatMs(evidence.gcMs)}`;
    case "host-paused":
      return "paused";
    default:
      return "unknown";
  }
}

/** The code a block's cause blames, as ` at fn (file:line)`; nothing for a GC or a pause. */
function blamed(block: LoopBlockedEvent): string {
  switch (block.cause) {
    case "gc":
    case "host-paused":
      return "";
    case "many-callbacks": {
      const seen = block.evidence?.functions?.[0];
      return seen === undefined ? "" : ` seen most ${shortFrame(seen.frame)}`;
    }
    default:
      return block.stack.length === 0 ? "" : ` at ${shortFrame(firstApp(block.stack))}`;
  }
}

/** The figures a cause rests on, compact: `cpu 1190 ms · gc 3 ms · 5 captures in 1 callback`. */
function evidenceText(block: LoopBlockedEvent): string {
  const evidence = block.evidence ?? {};
  const parts: string[] = [];
  if (evidence.cpuMs !== undefined) parts.push(`cpu ${formatMs(evidence.cpuMs)}`);
  // The cause's own figure is in its word already.
  if (evidence.gcMs !== undefined && block.cause !== "gc")
    parts.push(`gc ${formatMs(evidence.gcMs)}`);
  if (evidence.pausedMs !== undefined && evidence.pausedMs > 0 && block.cause !== "host-paused") {
    parts.push(`not running ${formatMs(evidence.pausedMs)}`);
  }
  if (evidence.captures !== undefined) {
    const callbacks = evidence.callbacks ?? 1;
    parts.push(`${plural(evidence.captures, "capture")} in ${plural(callbacks, "callback")}`);
  }
  return parts.join(" · ");
}

function blocksLines(state: TopState, width: number): Line[] {
  if (state.blocks.length === 0)
    return [
      [
        {
          text: "no block reported since top started (and in the process's recent events)",
          tone: "dim",
        },
      ],
    ];
  const lines: Line[] = [[{ text: "latest blocks, newest first", tone: "header" }]];
  for (const block of state.blocks) {
    const task = block.task === undefined ? "" : ` in task ${block.task.id} "${block.task.name}"`;
    const repeat = block.count > 1 ? ` (×${block.count})` : "";
    const evidence = evidenceText(block);
    lines.push([
      {
        text: `${clock(block.endedAt ?? block.time)} `,
        tone: "dim",
      },
      { text: `blocked ${formatMs(block.durationMs)}${repeat} · `, tone: "bold" },
      { text: causeWord(block), tone: "header" },
      { text: task, tone: "bold" },
      { text: block.note === undefined ? "" : ` · ${block.note}`, tone: "dim" },
      { text: evidence === "" ? "" : ` · ${evidence}`, tone: "dim" },
    ]);
    const seen = block.evidence?.functions ?? [];
    if (block.cause === "host-paused") {
      lines.push([{ text: "  the process was not running: no code to blame", tone: "dim" }]);
    } else if (block.cause === "many-callbacks" && seen.length > 0) {
      lines.push(
        ...seen.slice(0, 4).map((fn): Line => [
          {
            text: `  seen ${fn.seen}× ${fn.frame.fn} (${displayPath(fn.frame.file)}:${fn.frame.line}:${fn.frame.col})`,
            tone: "plain",
          },
        ]),
      );
    } else {
      lines.push(...frameLines(block.stack.filter(isApplicationFrame), 4));
    }
  }
  return lines.map((line) => fit(line, width));
}

/** `12:00:03`: the time of day of an epoch, in UTC (the blocks view's own). */
function clock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19);
}

/**
 * The flight recorder's window, oldest first down to its end, as many of the newest
 * entries as fit (scrolled back by `recorderScroll`), each at its time before the end.
 */
function recorderLines(state: TopState, rows: number): Line[] {
  const shown = shownRecorder(state);
  const block = state.blocks[0];
  const source =
    state.recorderSource === "block" && block !== undefined
      ? `before the latest block, ended ${clock(block.endedAt ?? block.time)}: ${formatMs(block.durationMs)} ${causeWord(block)}${blamed(block)}`
      : "the process's last seconds, asked now";
  const title: Line = [
    { text: "flight recorder", tone: "header" },
    { text: ` · ${source}`, tone: "plain" },
  ];
  if (shown === undefined) {
    const text =
      state.recorderSource === "live"
        ? "asking the process for its flight recorder…"
        : "the latest block carries no recorder window: l asks the process for its last seconds";
    return [title, [{ text, tone: "dim" }]];
  }
  const recorded = shown.window;
  if (recorded === undefined) {
    return [
      title,
      [
        {
          text: "the flight recorder is off in this process (LOOPSCOPE_RECORDER_SECONDS=0)",
          tone: "dim",
        },
      ],
    ];
  }
  const entries = recorded.entries;
  const visible = Math.max(1, rows - 3);
  const last = entries.length - Math.min(state.recorderScroll, Math.max(0, entries.length - 1));
  const first = Math.max(0, last - visible);
  const range =
    entries.length === 0
      ? "no entries"
      : first === 0 && last === entries.length
        ? plural(entries.length, "entry", "entries")
        : `entries ${first + 1}–${last} of ${entries.length} (↑ ↓ scroll)`;
  const lines: Line[] = [
    title,
    [
      {
        text: `${formatDuration(recorded.until - recorded.from)} up to ${clock(recorded.until)} · ${range} · ${recorded.omitted} omitted · ${recorded.dropped} dropped by its bounds${shown.stale ? " · stale: the loop is blocked" : ""}`,
        tone: shown.stale ? "warn" : "dim",
      },
    ],
    [{ text: startsLine(recorded), tone: "dim" }],
  ];
  if (entries.length === 0) {
    lines.push([{ text: "  nothing recorded in this window", tone: "dim" }]);
    return lines;
  }
  const kindWidth = Math.max(...entries.map((entry) => entry.kind.length));
  for (const entry of entries.slice(first, last)) {
    lines.push([
      { text: `${relativeSeconds(entry.time, shown.end).padStart(9)}  `, tone: "dim" },
      {
        text: `${entry.kind.padEnd(kindWidth)}  `,
        tone: ENTRY_TONES[entry.kind] ?? "plain",
      },
      { text: entryText(entry), tone: "plain" },
    ]);
  }
  return lines;
}

const ENTRY_TONES: Partial<Record<RecorderEntry["kind"], Tone>> = {
  "loop-blocked": "bold",
  "unhandled-rejection": "bold",
  gc: "good",
};

/** `-0.42 s`: seconds from `end`, `+` after it. */
export function relativeSeconds(time: number, end: number): string {
  const seconds = (time - end) / 1000;
  const text = Math.abs(seconds).toFixed(2);
  return `${seconds > 0 && text !== "0.00" ? "+" : "-"}${text} s`;
}

/** `task 12 "handle cattle-ab12": done`, `major, 12 ms`. */
function entryText(entry: RecorderEntry): string {
  const what: string[] = [];
  if (entry.detail !== undefined && entry.detail !== "") what.push(entry.detail);
  if (entry.durationMs !== undefined) what.push(formatMs(entry.durationMs));
  const task = entry.task === undefined ? "" : taskLabel(entry.task);
  return task === "" ? what.join(", ") : what.length === 0 ? task : `${task}: ${what.join(", ")}`;
}

function startsLine(recorded: RecorderWindow): string {
  const starts = recorded.startsLastSecond;
  if (starts === undefined || starts.count === 0) return "no task started in the last second";
  const names = starts.names.map((name) => `${name.name} ${name.count}`).join(", ");
  return `tasks started in the last second: ${starts.count}${names === "" ? "" : ` (${names})`}`;
}

function helpLines(): Line[] {
  return [
    "↑ ↓ PgUp PgDn Home End   move",
    "Enter                    a task's detail (a site group: its tasks)",
    "/                        filter by name as you type; Enter keeps it, Esc clears it",
    "s S ← →  or 1-7          sort by the next, previous or a numbered column; again: reverse",
    "r                        reverse the order",
    "g                        group: none, by creation site, by identical subtrees",
    "b                        the latest blocks: cause, figures, stacks",
    "f                        flight recorder: what led up to the latest block (↑ ↓ scroll)",
    "l                        (in it) the process's last seconds instead, and back",
    "c                        cancel the selected task (when the process allows control)",
    "Esc                      back to the table; clear the filter",
    "q  Ctrl-C                quit",
  ].map((text): Line => [{ text, tone: "plain" }]);
}

function footerLine(state: TopState): Line {
  if (state.typingFilter) {
    return [
      { text: "filter: ", tone: "bold" },
      { text: `${state.filter}▏`, tone: "plain" },
      { text: "  Enter keeps · Esc clears", tone: "dim" },
    ];
  }
  const answer = shownAnswer(state);
  // The counts are the rows' own: while a new filter or order is asked for, the rows are
  // still the last answer's, and counts beside the new filter would misdescribe them.
  const shown =
    answer === undefined
      ? ""
      : !answersCurrentQuery(state, answer)
        ? "asking… · "
        : state.grouping === "none"
          ? `${answer.tasks.length.toLocaleString("en-US")} of ${answer.matched.toLocaleString("en-US")} matching · `
          : `${plural((answer.groups ?? []).length, "group")} of ${plural(answer.matched, "task")} · `;
  const filter = state.filter === "" ? "" : `name ~ "${state.filter}" · `;
  const site = state.site === undefined ? "" : `site ${displayPath(state.site)} · `;
  const views: Record<string, string> = {
    detail: "Esc back · c cancel · ",
    blocks: "Esc back · ",
    recorder: "Esc back · l live/last block · ↑↓ scroll · ",
    help: "Esc back · ",
  };
  return [
    { text: `${shown}${filter}${site}`, tone: "plain" },
    {
      text: `${views[state.view] ?? ""}/ filter · s sort · g group · b blocks · f recorder · ? help · q quit`,
      tone: "dim",
    },
  ];
}

function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? noun : nouns}`;
}

function firstApp(frames: readonly Frame[]): Frame | undefined {
  return frames.find(isApplicationFrame) ?? frames[0];
}

function shortFrame(frame: Frame | undefined): string {
  return frame === undefined
    ? "(no stack)"
    : `${frame.fn} (${displayPath(frame.file)}:${frame.line})`;
}

/** `text` cut or padded to exactly `cells` cells (one per code point; controls shown safely). */
export function cell(text: string, cells: number, right: boolean): string {
  const chars = [...sanitize(text)];
  if (cells <= 0) return "";
  if (chars.length > cells) return `${chars.slice(0, cells - 1).join("")}…`;
  const pad = " ".repeat(cells - chars.length);
  return right ? pad + chars.join("") : chars.join("") + pad;
}

/** `text` in exactly `cells` cells, cut at the start: a path's end (file and line) is what matters. */
export function tailCell(text: string, cells: number): string {
  const chars = [...sanitize(text)];
  if (chars.length <= cells) return chars.join("") + " ".repeat(cells - chars.length);
  return cells <= 0 ? "" : `…${chars.slice(chars.length - cells + 1).join("")}`;
}

/**
 * Text from the watched process drawn safely: a task name or an error message may hold
 * escape sequences, which would otherwise drive the user's terminal.
 */
export function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex -- the control characters are the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "�");
}

/** A line cut to `width` cells, its segments sanitised. */
function fit(line: Line, width: number): Line {
  const out: Segment[] = [];
  let left = width;
  for (const segment of line) {
    if (left <= 0) break;
    const chars = [...sanitize(segment.text)];
    const text =
      chars.length > left ? `${chars.slice(0, Math.max(0, left - 1)).join("")}…` : chars.join("");
    out.push({ text, tone: segment.tone });
    left -= [...text].length;
  }
  return out;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(1)} GB`;
  return `${Math.round(bytes / (1 << 20))} MB`;
}
