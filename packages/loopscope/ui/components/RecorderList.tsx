/**
 * A flight-recorder window as a time-ordered list, oldest first, each entry's time
 * relative to an end (a block's end, or the moment the window was asked for): what led
 * up to it. Long windows show their last entries until the reader asks for all.
 */
import { useState } from "preact/hooks";
import type { RecorderEntryKind, RecorderWindow } from "../../src/protocol/index.js";
import { formatClock, formatCount, formatDuration } from "../format.js";
import { entryText, lossesText, relativeSeconds, startsText } from "../stall.js";

/** Entries drawn before "show all": the end of the window is what matters most. */
const SHOWN_FIRST = 300;

interface RecorderListProps {
  readonly window: RecorderWindow;
  /** Epoch milliseconds the entries' times are relative to. */
  readonly end: number;
  /** What `end` is, in words: `the block's end`, `the answer`. */
  readonly endLabel: string;
}

export function RecorderList({ window: recorded, end, endLabel }: RecorderListProps) {
  const [kind, setKind] = useState<RecorderEntryKind | "">("");
  const [all, setAll] = useState(false);
  // Oldest first, as the window holds them; sorted again in case a producer did not.
  const entries = [...recorded.entries].sort((a, b) => a.time - b.time);
  const kinds = [...new Set(entries.map((entry) => entry.kind))].sort();
  const matching = kind ? entries.filter((entry) => entry.kind === kind) : entries;
  const shown = all ? matching : matching.slice(-SHOWN_FIRST);
  return (
    <div class="recorder" data-testid="recorder-window">
      <p class="recorder-note">
        {formatCount(entries.length)} {entries.length === 1 ? "entry" : "entries"} in the{" "}
        {formatDuration(recorded.until - recorded.from)} up to {formatClock(recorded.until)}, times
        relative to {endLabel}
        <br />
        <span class="muted" data-testid="recorder-losses">
          {lossesText(recorded)}
        </span>
        <br />
        <span class="muted">{startsText(recorded)}</span>
      </p>
      {kinds.length > 1 && (
        <label class="inline recorder-filter">
          <span class="visually-hidden">entry kind</span>
          <select
            value={kind}
            onChange={(event) => setKind(event.currentTarget.value as RecorderEntryKind | "")}
          >
            <option value="">every kind</option>
            {kinds.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      )}
      {matching.length > shown.length && (
        <p class="muted recorder-more">
          the last {formatCount(shown.length)} of {formatCount(matching.length)}{" "}
          <button type="button" class="link-button" onClick={() => setAll(true)}>
            show all
          </button>
        </p>
      )}
      {shown.length === 0 ? (
        <p class="muted empty">nothing recorded in this window</p>
      ) : (
        <ol class="recorder-entries" aria-label="flight recorder entries, oldest first">
          {shown.map((entry, index) => (
            <li
              key={index}
              class="recorder-entry"
              data-testid="recorder-entry"
              data-kind={entry.kind}
            >
              <span class="recorder-time" title={formatClock(entry.time)}>
                {relativeSeconds(entry.time, end)}
              </span>{" "}
              <span class={`recorder-kind rk-${entry.kind}`}>{entry.kind}</span>{" "}
              <span class="recorder-text">{entryText(entry)}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
