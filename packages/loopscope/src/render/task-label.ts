/**
 * How every text names a task: `task 17 "save cattle-ab12"`, the id first (what
 * `cancelTask(id)` takes), the name quoted (names have spaces). The dump, the events
 * and what a task awaits all say it this way.
 */
export function taskLabel(task: { readonly id: number; readonly name: string }): string {
  return `task ${task.id} "${task.name}"`;
}
