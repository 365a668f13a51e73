/** The longest text an entry keeps (a task name, a detail); longer ones are cut. */
export const MAX_TEXT = 120;

/**
 * `text` cut to {@link MAX_TEXT} characters, ending in `…`. Callers test the length
 * first (a comparison on the hot path), so this runs only for the rare long text. The cut
 * is copied through a buffer: a `slice` of a long string may be a view that keeps the
 * whole original alive, which is what the cut is for.
 */
export function shortText(text: string): string {
  if (text.length <= MAX_TEXT) return text;
  let end = MAX_TEXT - 1;
  // Never leave half of a surrogate pair at the end.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return Buffer.from(`${text.slice(0, end)}…`, "utf8").toString("utf8");
}

/** `name: message` of an error (or what was thrown instead of one), cut; never throws. */
export function errorText(error: unknown): string {
  try {
    if (error instanceof Error) {
      const name = String(error.name);
      const message = String(error.message);
      return shortText(message === "" ? name : `${name}: ${message}`);
    }
    return shortText(typeof error === "string" ? error : String(error));
  } catch {
    return "(a value that cannot be shown)";
  }
}
