/**
 * Records a CPU profile of the watched process and downloads it as a `.cpuprofile`, which
 * Chrome DevTools (Performance, "Load profile") and VS Code open.
 */
import type { ComponentChild } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api } from "../api.js";
import { fileTimestamp } from "../format.js";
import { useNow } from "../hooks.js";

const MIN_SECONDS = 1;
const MAX_SECONDS = 30;
/** Past the profile's own length: the server writes the profile after it stops. */
const ANSWER_GRACE_MS = 30_000;

type Progress =
  | { readonly kind: "idle" }
  | { readonly kind: "running"; readonly startedAt: number; readonly seconds: number }
  | { readonly kind: "done"; readonly fileName: string }
  | { readonly kind: "failed"; readonly message: string };

function download(body: Blob, fileName: string): void {
  const url = URL.createObjectURL(body);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the click; the URL can go once the browser has read it.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function messageOf(error: unknown): string {
  if (error instanceof ApiError && error.status === 409) {
    return "a profile is already being recorded; try again when it ends";
  }
  if (error instanceof DOMException && error.name === "AbortError") {
    return "the profile took too long to arrive";
  }
  return error instanceof Error ? error.message : String(error);
}

export function ProfileButton({ pid }: { readonly pid: number | null }) {
  const [secondsText, setSecondsText] = useState("5");
  const [progress, setProgress] = useState<Progress>({ kind: "idle" });
  const running = progress.kind === "running";
  const now = useNow(running ? 250 : 60_000);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const seconds = Number(secondsText);
  const valid = Number.isInteger(seconds) && seconds >= MIN_SECONDS && seconds <= MAX_SECONDS;

  async function record(): Promise<void> {
    if (!valid || running) return;
    const controller = new AbortController();
    abort.current = controller;
    const timeout = setTimeout(() => controller.abort(), seconds * 1000 + ANSWER_GRACE_MS);
    const startedAt = Date.now();
    setProgress({ kind: "running", startedAt, seconds });
    try {
      const body = await api.profile(seconds, controller.signal);
      const fileName = `loopscope-${pid ?? "process"}-${fileTimestamp(startedAt)}.cpuprofile`;
      download(body, fileName);
      setProgress({ kind: "done", fileName });
    } catch (error) {
      setProgress({ kind: "failed", message: messageOf(error) });
    } finally {
      clearTimeout(timeout);
      abort.current = null;
    }
  }

  let note: ComponentChild = null;
  if (progress.kind === "running") {
    const elapsed = Math.min(progress.seconds, (now - progress.startedAt) / 1000);
    note = (
      <span class="profile-note" role="status">
        <progress max={progress.seconds} value={elapsed} aria-label="profile progress" />{" "}
        {elapsed >= progress.seconds
          ? "writing…"
          : `${Math.floor(elapsed)} / ${progress.seconds} s`}
      </span>
    );
  } else if (progress.kind === "done") {
    note = (
      <span class="profile-note" role="status">
        saved {progress.fileName}
      </span>
    );
  } else if (progress.kind === "failed") {
    note = (
      <span class="profile-note error-text" role="alert" data-testid="profile-error">
        profile failed: {progress.message}
      </span>
    );
  }

  return (
    <form
      class="profile"
      onSubmit={(event) => {
        event.preventDefault();
        void record();
      }}
    >
      <label>
        CPU profile for{" "}
        <input
          type="number"
          min={MIN_SECONDS}
          max={MAX_SECONDS}
          step={1}
          value={secondsText}
          onInput={(event) => setSecondsText(event.currentTarget.value)}
          disabled={running}
          data-testid="profile-seconds"
          aria-invalid={!valid}
        />{" "}
        s
      </label>{" "}
      <button type="submit" disabled={!valid || running} data-testid="profile-button">
        {running ? "Profiling…" : "Record CPU profile"}
      </button>
      {note}
    </form>
  );
}
