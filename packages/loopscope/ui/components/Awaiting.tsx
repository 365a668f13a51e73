import type { TaskSnapshot } from "../../src/protocol/index.js";
import { leadingFrame, shortLocation } from "../format.js";

/** What a task waits on, in one line: its kind, the text, and where it awaits. */
export function AwaitingCell({ task }: { readonly task: TaskSnapshot }) {
  const awaiting = task.awaiting;
  if (!awaiting) return <span class="muted">–</span>;
  const at = leadingFrame(awaiting.at);
  return (
    <span title={at ? `${awaiting.what}\nawait at ${shortLocation(at)}` : awaiting.what}>
      <span class={`kind kind-${awaiting.kind}`}>{awaiting.kind}</span> {awaiting.what}
    </span>
  );
}

/** Marks on a task that matter more than its columns. */
export function TaskFlags({ task }: { readonly task: TaskSnapshot }) {
  return (
    <>
      {task.neverResumes && (
        <span class="flag flag-bad" title="what it awaits can never settle">
          never resumes
        </span>
      )}
      {task.cancelRequested && <span class="flag">cancel requested</span>}
      {task.internal && <span class="flag">node internal</span>}
    </>
  );
}
