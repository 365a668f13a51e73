import type { TaskQuery } from "../protocol/index.js";

/** A task query that cannot be used: the message says which field and why, ready to send back. */
export class TaskQueryError extends Error {}

const MAX_NAME = 200;
const MAX_SITE = 1_000;
const FIELDS = new Set(["name", "regex", "state", "minAgeMs", "site", "group", "sort", "limit"]);

/**
 * A pattern with a quantified group that itself holds a quantifier (`(a+)+`, `(x*y*)*`)
 * can take exponential time on a short name, and the main thread runs it: refused.
 */
const NESTED_QUANTIFIER =
  /\((?:[^()\\]|\\.)*(?:[+*]|\{\d+,?\d*\})(?:[^()\\]|\\.)*\)(?:[+*?]|\{\d+,?\d*\})/;

/**
 * Read a task query from a URL's search parameters or a live request's `tasks` object
 * (values as strings, numbers or booleans), checking every field: the main thread only
 * ever runs a query this returned.
 *
 * @throws TaskQueryError naming the field.
 */
export function parseTaskQuery(input: Readonly<Record<string, unknown>>): TaskQuery {
  const query: { -readonly [K in keyof TaskQuery]: TaskQuery[K] } = {};
  for (const [field, raw] of Object.entries(input)) {
    if (!FIELDS.has(field)) throw new TaskQueryError(`unknown field "${field.slice(0, 40)}"`);
    if (raw === undefined || raw === "") continue;
    const value =
      typeof raw === "string"
        ? raw
        : typeof raw === "number" || typeof raw === "boolean"
          ? String(raw)
          : undefined;
    if (value === undefined)
      throw new TaskQueryError(`${field} must be a string, number or boolean`);
    switch (field) {
      case "name":
        if (value.length > MAX_NAME)
          throw new TaskQueryError(`name must be at most ${MAX_NAME} characters`);
        query.name = value;
        break;
      case "regex":
        query.regex = readBoolean(field, value);
        break;
      case "state":
        if (value !== "pending" && value !== "running")
          throw new TaskQueryError('state must be "pending" or "running"');
        query.state = value;
        break;
      case "minAgeMs":
        query.minAgeMs = readNumber(field, value, 0, Number.MAX_SAFE_INTEGER);
        break;
      case "site":
        if (value.length > MAX_SITE)
          throw new TaskQueryError(`site must be at most ${MAX_SITE} characters`);
        query.site = value;
        break;
      case "group":
        if (value !== "site" && value !== "subtree")
          throw new TaskQueryError('group must be "site" or "subtree"');
        query.group = value;
        break;
      case "sort":
        if (value !== "age" && value !== "busy" && value !== "name")
          throw new TaskQueryError('sort must be "age", "busy" or "name"');
        query.sort = value;
        break;
      case "limit": {
        const limit = readNumber(field, value, 1, 1_000);
        if (!Number.isInteger(limit)) throw new TaskQueryError("limit must be an integer");
        query.limit = limit;
        break;
      }
    }
  }
  if (query.regex === true && query.name !== undefined) checkPattern(query.name);
  return query;
}

function checkPattern(pattern: string): void {
  try {
    new RegExp(pattern);
  } catch (error) {
    throw new TaskQueryError(`name is not a valid regular expression: ${(error as Error).message}`);
  }
  if (NESTED_QUANTIFIER.test(pattern)) {
    throw new TaskQueryError(
      "name: a repeated group that holds a repetition can take exponential time; simplify the pattern",
    );
  }
}

function readBoolean(field: string, value: string): boolean {
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw new TaskQueryError(`${field} must be 1, 0, true or false`);
}

function readNumber(field: string, value: string, min: number, max: number): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new TaskQueryError(`${field} must be a number from ${min} to ${max}`);
  }
  return parsed;
}

/** One key per distinct query, field order aside: answers are kept and shared by it. */
export function taskQueryKey(query: TaskQuery): string {
  return JSON.stringify(Object.entries(query).sort(([a], [b]) => (a < b ? -1 : 1)));
}
