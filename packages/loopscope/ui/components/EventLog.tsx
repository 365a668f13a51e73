/**
 * Recent diagnostics, newest first. Only an expanded entry renders its frames: 500 entries
 * with their stacks would be thousands of nodes for nothing. A block's line says its cause;
 * expanded, it shows the figures, the stack and the flight recorder's window before it.
 */
import { useState } from "preact/hooks";
import type { Frame, LoopscopeEvent, TaskRef } from "../../src/protocol/index.js";
import {
  formatClock,
  formatCount,
  formatDuration,
  leadingFrame,
  shortLocation,
} from "../format.js";
import { blockSummary, causeOf } from "../stall.js";
import { BlockDetail } from "./BlockDetail.js";
import { Section, TaskCreation } from "./EventParts.js";
import { FrameList } from "./FrameList.js";

/** An event with the page's own sequence number: events carry no id. */
export interface LoggedEvent {
  readonly seq: number;
  readonly event: LoopscopeEvent;
}

function taskText(task: Pick<TaskRef, "id" | "name"> | undefined): string {
  return task ? ` in task #${task.id} ${task.name}` : "";
}

function atText(stack: readonly Frame[]): string {
  const frame = leadingFrame(stack);
  return frame ? ` at ${shortLocation(frame)}` : "";
}

function summary(event: LoopscopeEvent): string {
  switch (event.type) {
    case "loop-blocked":
      return blockSummary(event);
    case "unhandled-rejection":
      return `unhandled rejection ${event.error.name}: ${event.error.message}${taskText(event.task)}`;
    case "task-exception-never-retrieved":
      return `exception never retrieved in task #${event.task.id} ${event.task.name}: ${event.error.name}: ${event.error.message}`;
    case "blocking-call":
      return `blocking call ${event.call} ${formatDuration(event.durationMs)}${event.count > 1 ? ` (×${event.count})` : ""}${taskText(event.task)}${atText(event.stack)}`;
    case "slow-callback":
      return `slow callback ${formatDuration(event.durationMs)}${taskText(event.task)}${atText(event.stack)}`;
    case "task-never-resumes":
      return `task #${event.task.id} ${event.task.name} never resumes${atText(event.stack)}`;
    case "task-dump":
      return `task dump: ${formatCount(event.tasks.length)} pending (${event.mode})`;
    default:
      // A type newer than this page: the protocol allows new ones.
      return (event as { type: string }).type;
  }
}

function EventBody({ event }: { event: LoopscopeEvent }) {
  switch (event.type) {
    case "loop-blocked":
      return <BlockDetail event={event} />;
    case "unhandled-rejection":
      return (
        <>
          <Section title="error stack">
            <FrameList frames={event.stack} />
          </Section>
          {event.createdAt && (
            <Section title="failed work created at">
              <FrameList frames={event.createdAt} />
            </Section>
          )}
          {event.task && <TaskCreation task={event.task} />}
        </>
      );
    case "task-exception-never-retrieved":
      return (
        <>
          <Section title="error stack">
            <FrameList frames={event.stack} />
          </Section>
          <TaskCreation task={event.task} />
        </>
      );
    case "blocking-call":
    case "slow-callback":
      return (
        <>
          <Section title="stack">
            <FrameList frames={event.stack} empty="nothing could be captured" />
          </Section>
          {event.task && <TaskCreation task={event.task} />}
        </>
      );
    case "task-never-resumes":
      return (
        <>
          <Section title="stuck await">
            <FrameList frames={event.stack} />
          </Section>
          <TaskCreation task={event.task} />
        </>
      );
    default:
      return <p class="muted">no details</p>;
  }
}

function EventEntry({ logged }: { logged: LoggedEvent }) {
  const [open, setOpen] = useState(false);
  const { event, seq } = logged;
  const bodyId = `event-body-${seq}`;
  return (
    <li
      class={`event event-${event.type}`}
      data-testid="event"
      data-event-type={event.type}
      data-cause={event.type === "loop-blocked" ? causeOf(event) : undefined}
    >
      <button
        type="button"
        class="event-summary"
        aria-expanded={open}
        aria-controls={bodyId}
        onClick={() => setOpen(!open)}
      >
        <span class="event-time">{formatClock(event.time)}</span>{" "}
        <span class={`event-type type-${event.type}`}>{event.type}</span>{" "}
        <span class="event-text">{summary(event)}</span>
      </button>
      {open && (
        <div class="event-body" id={bodyId}>
          <EventBody event={event} />
        </div>
      )}
    </li>
  );
}

interface EventLogProps {
  /** Newest first. */
  readonly events: readonly LoggedEvent[];
  readonly dropped: number;
  readonly error: string | null;
}

export function EventLog({ events, dropped, error }: EventLogProps) {
  const [type, setType] = useState("");
  const types = [...new Set(events.map((logged) => logged.event.type))].sort();
  const shown = type ? events.filter((logged) => logged.event.type === type) : events;
  return (
    <section class="panel event-log" data-testid="event-log" aria-label="event log">
      <div class="panel-title">
        <h2>Events</h2>
        <label class="inline">
          <span class="visually-hidden">event type</span>
          <select value={type} onChange={(event) => setType(event.currentTarget.value)}>
            <option value="">all types</option>
            {types.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <span class="muted">
          {formatCount(shown.length)}
          {dropped > 0 && ` · ${formatCount(dropped)} older dropped by the server`}
        </span>
      </div>
      {error && (
        <p class="error-text" role="alert">
          {error}
        </p>
      )}
      {shown.length === 0 ? (
        <p class="muted empty">no events yet</p>
      ) : (
        <ol class="events">
          {shown.map((logged) => (
            <EventEntry key={logged.seq} logged={logged} />
          ))}
        </ol>
      )}
    </section>
  );
}
