/*
 * The names of the defects `--inject` accepts. They live here, below the
 * service, so that the `inject` knob can parse and describe them; the service's
 * `InjectedDefects` (service/inject.ts) puts them into the running handlers.
 */

/** Every defect `--inject` accepts. */
export const DEFECTS = ["blocking-save", "blocking-call", "unretrieved", "lost-task"] as const;

/**
 * - `blocking-save`: save blocks the loop 0.3–1.3 s in a CPU-bound section (the
 *   article's `time.sleep(1 + random.random())`): a `loop-blocked` report.
 * - `blocking-call`: save calls `crypto.pbkdf2Sync` on the main thread: a
 *   `blocking-call` report in debug mode (and `loop-blocked` when it is long).
 * - `unretrieved`: each message also restarts its host in a fire-and-forget child
 *   task whose failure nobody retrieves (the article's removed
 *   `return_exceptions=True`): `task-exception-never-retrieved` in debug mode, then
 *   Mayhem's exception handler shuts the service down gracefully.
 * - `lost-task`: each message starts a child task awaiting a promise whose resolver
 *   was dropped: `task-never-resumes` once the promise is garbage-collected.
 */
export type Defect = (typeof DEFECTS)[number];

/**
 * Parses a comma-separated list of defects (`--inject`, `MAYHEM_INJECT`).
 * Empty, or `none`, means no defect.
 *
 * @throws TypeError naming the unknown defect and the accepted ones.
 */
export function parseDefects(raw: string): readonly Defect[] {
  const defects: Defect[] = [];
  for (const part of raw.split(",")) {
    const word = part.trim().toLowerCase();
    if (word === "" || word === "none") continue;
    const defect = DEFECTS.find((known) => known === word);
    if (defect === undefined) {
      throw new TypeError(
        `unknown defect ${JSON.stringify(part.trim())}; expected a comma-separated list of ${DEFECTS.join(", ")}`,
      );
    }
    if (!defects.includes(defect)) defects.push(defect);
  }
  return defects;
}
