/**
 * The live task list: at most TASK_LIMIT rows the server picked, redrawn in place each
 * push. Rows are keyed by task id so a push changes text in existing rows instead of
 * rebuilding them, and nothing here reads layout.
 */
import type { TaskGroupSummary, TaskQueryAnswer, TaskSnapshot } from "../../src/protocol/index.js";
import { formatCount, formatDuration } from "../format.js";
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

function TaskRow(props: {
  task: TaskSnapshot;
  debug: boolean;
  selected: boolean;
  onSelect: (id: number) => void;
}) {
  const { task, debug, selected, onSelect } = props;
  // An async call outside any task has no id to ask the server about.
  const selectable = task.id !== 0;
  const select = () => {
    if (selectable) onSelect(task.id);
  };
  return (
    <tr
      data-testid="task-row"
      data-task-id={task.id}
      class={selected ? "selected" : selectable ? undefined : "unselectable"}
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
      <td class="num">{selectable ? task.id : "–"}</td>
      <td class="name" title={task.name}>
        {task.name} <TaskFlags task={task} />
      </td>
      <td>
        <span class={`state state-${task.state}`}>{task.state}</span>
      </td>
      <td class="num">{formatDuration(task.ageMs)}</td>
      <td class="awaiting">
        <AwaitingCell task={task} />
      </td>
      {debug && (
        <td class="num">{task.busyMs === undefined ? "–" : formatDuration(task.busyMs)}</td>
      )}
      {debug && (
        <td class="num">{task.idleMs === undefined ? "–" : formatDuration(task.idleMs)}</td>
      )}
      {debug && <td class="num">{task.steps ?? "–"}</td>}
    </tr>
  );
}

function GroupTable(props: {
  groups: readonly TaskGroupSummary[];
  grouping: "site" | "subtree";
  onGroup: (group: TaskGroupSummary) => void;
}) {
  const { groups, grouping, onGroup } = props;
  return (
    <table class="table groups" data-testid="group-table">
      <caption class="visually-hidden">Task groups</caption>
      <thead>
        <tr>
          <th scope="col">{grouping === "site" ? "creation site" : "subtree"}</th>
          <th scope="col" class="num">
            tasks
          </th>
          <th scope="col" class="num">
            oldest
          </th>
          <th scope="col">example awaits</th>
        </tr>
      </thead>
      <tbody>
        {groups.map((group) => (
          <tr
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
            <td class="name" title={group.key}>
              {group.label}
            </td>
            <td class="num">{formatCount(group.count)}</td>
            <td class="num">{formatDuration(group.oldestAgeMs)}</td>
            <td class="awaiting">
              <AwaitingCell task={group.example} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

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
      <table class="table tasks" data-testid="task-table">
        <caption class="visually-hidden">Pending tasks</caption>
        <thead>
          <tr>
            <th scope="col" class="num">
              id
            </th>
            <th scope="col">name</th>
            <th scope="col">state</th>
            <th scope="col" class="num">
              age
            </th>
            <th scope="col">awaiting</th>
            {debug && (
              <th scope="col" class="num">
                busy
              </th>
            )}
            {debug && (
              <th scope="col" class="num">
                idle
              </th>
            )}
            {debug && (
              <th scope="col" class="num">
                steps
              </th>
            )}
          </tr>
        </thead>
        <tbody>
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
        </tbody>
      </table>
      {answer && tasks.length === 0 && <p class="muted empty">no pending task matches</p>}
    </div>
  );
}
