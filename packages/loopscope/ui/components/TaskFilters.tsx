/** The controls of the live task query: the server filters, sorts and groups. */
import type { TaskQuery } from "../../src/protocol/index.js";

/** What the form holds; text fields stay text until they make a valid query. */
export interface TaskFilterForm {
  readonly name: string;
  readonly regex: boolean;
  readonly state: "" | "pending" | "running";
  /** Seconds, as typed. */
  readonly minAge: string;
  readonly site: string;
  readonly group: "" | "site" | "subtree";
  readonly sort: "age" | "busy" | "name";
}

export const INITIAL_FILTERS: TaskFilterForm = {
  name: "",
  regex: false,
  state: "",
  minAge: "",
  site: "",
  group: "",
  sort: "age",
};

/** Rows the server sends: enough to read, small enough to render every second. */
export const TASK_LIMIT = 200;

/** The form's query, or why it is not one yet (an invalid regular expression, say). */
export function queryOf(form: TaskFilterForm): { query: TaskQuery } | { problem: string } {
  if (form.regex && form.name) {
    if (form.name.length > 200) return { problem: "regular expression longer than 200 characters" };
    try {
      new RegExp(form.name);
    } catch (error) {
      return { problem: `invalid regular expression: ${(error as Error).message}` };
    }
  }
  let minAgeMs: number | undefined;
  if (form.minAge.trim() !== "") {
    const seconds = Number(form.minAge);
    if (!Number.isFinite(seconds) || seconds < 0)
      return { problem: "minimum age: seconds, 0 or more" };
    minAgeMs = Math.round(seconds * 1000);
  }
  return {
    query: {
      ...(form.name ? { name: form.name, regex: form.regex } : {}),
      ...(form.state ? { state: form.state } : {}),
      ...(minAgeMs ? { minAgeMs } : {}),
      ...(form.site ? { site: form.site } : {}),
      ...(form.group ? { group: form.group } : {}),
      sort: form.sort,
      limit: TASK_LIMIT,
    },
  };
}

/**
 * One text per query, whatever order its fields came in and however each value was written
 * (`"1"` or `1`, `true`): the server's `query` echo and the page's own compare equal.
 */
export function queryText(query: TaskQuery): string {
  return Object.entries(query)
    .filter(([, value]) => value !== undefined && value !== "")
    .map(([field, value]) => `${field}=${String(value)}`)
    .sort()
    .join("&");
}

interface TaskFiltersProps {
  readonly form: TaskFilterForm;
  readonly onChange: (form: TaskFilterForm) => void;
  readonly mode: "production" | "debug" | null;
  readonly problem: string | null;
}

export function TaskFilters({ form, onChange, mode, problem }: TaskFiltersProps) {
  const set = (change: Partial<TaskFilterForm>) => onChange({ ...form, ...change });
  return (
    <div class="filters" role="search">
      <label class="filter-name">
        <span class="visually-hidden">Filter tasks by name</span>
        <input
          type="search"
          placeholder={form.regex ? "name matches /regex/" : "name contains…"}
          value={form.name}
          onInput={(event) => set({ name: event.currentTarget.value })}
          data-testid="task-filter"
          aria-invalid={problem !== null}
          spellcheck={false}
        />
      </label>
      <label class="inline">
        <input
          type="checkbox"
          checked={form.regex}
          onChange={(event) => set({ regex: event.currentTarget.checked })}
          data-testid="task-filter-regex"
        />{" "}
        regex
      </label>
      <label class="inline">
        state{" "}
        <select
          value={form.state}
          onChange={(event) => set({ state: event.currentTarget.value as TaskFilterForm["state"] })}
          data-testid="state-select"
        >
          <option value="">any</option>
          <option value="pending">pending</option>
          <option value="running">running</option>
        </select>
      </label>
      <label class="inline">
        older than{" "}
        <input
          type="number"
          min={0}
          step="any"
          class="narrow"
          placeholder="0"
          value={form.minAge}
          onInput={(event) => set({ minAge: event.currentTarget.value })}
          data-testid="min-age"
        />{" "}
        s
      </label>
      <label class="inline">
        group by{" "}
        <select
          value={form.group}
          onChange={(event) => set({ group: event.currentTarget.value as TaskFilterForm["group"] })}
          data-testid="group-select"
        >
          <option value="">none</option>
          <option value="site">creation site</option>
          <option value="subtree">identical subtrees</option>
        </select>
      </label>
      <label class="inline">
        sort by{" "}
        <select
          value={form.sort}
          onChange={(event) => set({ sort: event.currentTarget.value as TaskFilterForm["sort"] })}
          data-testid="sort-select"
        >
          <option value="age">age (oldest first)</option>
          <option value="busy" disabled={mode === "production"}>
            busy (debug mode)
          </option>
          <option value="name">name</option>
        </select>
      </label>
      {form.site && (
        <span class="chip">
          site {form.site}{" "}
          <button
            type="button"
            class="link-button"
            aria-label="clear the site filter"
            onClick={() => set({ site: "" })}
          >
            ✕
          </button>
        </span>
      )}
      {problem && (
        <span class="error-text" role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}
