/** Pieces of an event's detail that more than one kind of event shows. */
import type { ComponentChildren } from "preact";
import type { TaskRef } from "../../src/protocol/index.js";
import { FrameList } from "./FrameList.js";

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <>
      <h4>{title}</h4>
      {children}
    </>
  );
}

/** Where the event's task was created, or its nearest ancestor whose creation was captured. */
export function TaskCreation({ task }: { task: TaskRef }) {
  if (task.createdAt.length > 0) {
    return (
      <Section title={`task #${task.id} ${task.name} created at`}>
        <FrameList frames={task.createdAt} />
      </Section>
    );
  }
  const ancestor = task.ancestorCreatedAt;
  if (!ancestor) return null;
  return (
    <Section
      title={`task #${task.id} created under #${ancestor.id} ${ancestor.name} (${ancestor.generations} up), created at`}
    >
      <FrameList frames={ancestor.createdAt} />
    </Section>
  );
}
