/**
 * The live task list: at most TASK_LIMIT rows the server picked, redrawn in place each
 * push. Rows are keyed by task id so a push changes text in existing rows instead of
 * rebuilding them, a row whose text would not change is not rendered again (see
 * {@link rowText}), and nothing here reads layout. Rows are CSS grid rows, not a <table>:
 * `content-visibility: auto` skips the layout and paint of rows scrolled out of view,
 * which table rows do not allow.
 */
import { Component } from "preact";
import type { TaskGroupSummary, TaskQueryAnswer, TaskSnapshot } from "../../src/protocol/index.js";
import { formatCount, formatDuration, leadingFrame, shortLocation } from "../format.js";
import { AwaitingCell, TaskFlags } from "./Awaiting.js";
import { StaleMarker } from "./StaleMarker.js";

interface TaskTableProps {
  readonly answer: TaskQueryAnswer | null;
  readonly selectedId: number | null;
  readonly onSelect: (id: number) => void;
  readonly onGroup: (group: TaskGroupSummary) => void;
  readonly grouping: "" | "site" | "subtree";
}

function keyActivates(event: KeyboardEvent): boolean {
  return event.key === "Enter" || event.key === " ";
}

interface TaskRowProps {
  readonly task: TaskSnapshot;
  readonly debug: boolean;
  readonly selected: boolean;
  readonly onSelect: (id: number) => void;
}

/**
 * Everything a row shows, as one string: each push brings new task objects, and most rows
 * read the same as before (ages of a minute and more move once a second at most, the rest
 * rarely), so comparing this string spares the diff of their cells.
 */
function rowText({ task, debug, selected }: TaskRowProps): string {
  const awaiting = task.awaiting;
  const at = awaiting ? leadingFrame(awaiting.at) : undefined;
  return [
    task.id,
    task.name,
    task.state,
    formatDuration(task.ageMs),
    task.neverResumes === true,
    task.cancelRequested === true,
    task.internal === true,
    awaiting?.kind,
    awaiting?.what,
    at ? shortLocation(at) : "",
    selected,
    debug,
    debug && task.busyMs !== undefined ? formatDuration(task.busyMs) : "",
    debug && task.idleMs !== undefined ? formatDuration(task.idleMs) : "",
    debug ? task.steps : "",
  ].join("\u0000");
}

/** A {@link TaskRowView} rendered again only when its text changes. */
class TaskRow extends Component<TaskRowProps> {
  override shouldComponentUpdate(next: TaskRowProps): boolean {
    return next.onSelect !== this.props.onSelect || rowText(next) !== rowText(this.props);
  }

  override render(props: TaskRowProps) {
    return <TaskRowView {...props} />;
  }
}

function TaskRowView(props: TaskRowProps) {
  const { task, debug, selected, onSelect } = props;
  // An async call outside any task has no id to ask the server about.
  const selectable = task.id !== 0;
  const select = () => {
    if (selectable) onSelect(task.id);
  };
  return (
    <div
      role="row"
      data-testid="task-row"
      data-task-id={task.id}
      class={`grid-row${selected ? " selected" : selectable ? "" : " unselectable"}`}
      aria-selected={selected}
      tabIndex={selectable ? 0 : undefined}
      onClick={select}
      onKeyDown={(event) => {
        if (keyActivates(event)) {
          event.preventDefault();
          select();
        }
      }}
    >
      <div role="cell" class="num">
        {selectable ? task.id : "–"}
      </div>
      <div role="cell" title={task.name}>
        {task.name} <TaskFlags task={task} />
      </div>
      <div role="cell">
        <span class={`state state-${task.state}`}>{task.state}</span>
      </div>
      <div role="cell" class="num">
        {formatDuration(task.ageMs)}
      </div>
      <div role="cell">
        <AwaitingCell task={task} />
      </div>
      {debug && (
        <div role="cell" class="num">
          {task.busyMs === undefined ? "–" : formatDuration(task.busyMs)}
        </div>
      )}
      {debug && (
        <div role="cell" class="num">
          {task.idleMs === undefined ? "–" : formatDuration(task.idleMs)}
        </div>
      )}
      {debug && (
        <div role="cell" class="num">
          {task.steps ?? "–"}
        </div>
      )}
    </div>
  );
}

function HeaderRow({ columns }: { columns: readonly (readonly [string, boolean])[] }) {
  return (
    <div role="rowgroup" class="grid-head">
      <div role="row" class="grid-row">
        {columns.map(([label, numeric]) => (
          <div role="columnheader" key={label} class={numeric ? "num" : undefined}>
            {label}
          </div>
        ))}
      </div>
    </div>
  );
}

function GroupTable(props: {
  groups: readonly TaskGroupSummary[];
  grouping: "site" | "subtree";
  onGroup: (group: TaskGroupSummary) => void;
}) {
  const { groups, grouping, onGroup } = props;
  return (
    <div role="table" class="grid-table groups" data-testid="group-table" aria-label="Task groups">
      <HeaderRow
        columns={[
          [grouping === "site" ? "creation site" : "subtree", false],
          ["tasks", true],
          ["oldest", true],
          ["example awaits", false],
        ]}
      />
      <div role="rowgroup">
        {groups.map((group) => (
          <div
            role="row"
            class="grid-row"
            key={group.key}
            data-testid="group-row"
            data-group-key={group.key}
            tabIndex={0}
            title={
              grouping === "site" ? "show the tasks created here" : "open an example of this group"
            }
            onClick={() => onGroup(group)}
            onKeyDown={(event) => {
              if (keyActivates(event)) {
                event.preventDefault();
                onGroup(group);
              }
            }}
          >
            <div role="cell" title={group.key}>
              {group.label}
            </div>
            <div role="cell" class="num">
              {formatCount(group.count)}
            </div>
            <div role="cell" class="num">
              {formatDuration(group.oldestAgeMs)}
            </div>
            <div role="cell">
              <AwaitingCell task={group.example} />
            </div>
          </div>
        ))}
      </div>
    </div>
  );
}

const TASK_COLUMNS: readonly (readonly [string, boolean])[] = [
  ["id", true],
  ["name", false],
  ["state", false],
  ["age", true],
  ["awaiting", false],
];
const DEBUG_COLUMNS: readonly (readonly [string, boolean])[] = [
  ...TASK_COLUMNS,
  ["busy", true],
  ["idle", true],
  ["steps", true],
];

export function TaskTable({ answer, selectedId, onSelect, onGroup, grouping }: TaskTableProps) {
  const debug = answer?.mode === "debug";
  const tasks = answer?.tasks ?? [];
  return (
    <div class="task-table-wrap">
      <p class="table-note">
        <span data-testid="task-count">
          {answer
            ? `matched ${formatCount(answer.matched)} of ${formatCount(answer.total)}`
            : "waiting for tasks…"}
        </span>
        {answer && tasks.length < answer.matched && (
          <span class="muted"> · showing the first {formatCount(tasks.length)}</span>
        )}
        {answer && answer.unsampled > 0 && (
          <span class="muted">
            {" "}
            · {formatCount(answer.unsampled)} with creation frames sampled out
          </span>
        )}
        {answer && <StaleMarker data={answer} />}
      </p>
      {grouping && answer?.groups && (
        <GroupTable groups={answer.groups} grouping={grouping} onGroup={onGroup} />
      )}
      <div
        role="table"
        class={`grid-table tasks${debug ? " debug" : ""}`}
        data-testid="task-table"
        data-updated-at={answer?.computedAt}
        aria-label="Pending tasks"
      >
        <HeaderRow columns={debug ? DEBUG_COLUMNS : TASK_COLUMNS} />
        <div role="rowgroup">
          {tasks.map((task, index) => (
            <TaskRow
              // Id 0 is every async call outside a task (debug mode): those are keyed by place.
              key={task.id !== 0 ? task.id : `untracked-${index}`}
              task={task}
              debug={debug}
              selected={task.id === selectedId}
              onSelect={onSelect}
            />
          ))}
        </div>
      </div>
      {answer && tasks.length === 0 && <p class="muted empty">no pending task matches</p>}
    </div>
  );
}
