import inspector from "node:inspector";

/** Longest profile one request may take. */
export const MAX_PROFILE_SECONDS = 60;

/** A profile is already being taken: one at a time. */
export class ProfilerBusyError extends Error {}

/**
 * Takes CPU profiles of the main thread from the server thread, through an inspector
 * session connected to the main thread: V8's sampling profiler runs on its own, so the
 * main loop pays only the profiler's sampling, and nothing waits for the main thread
 * to turn. One profile at a time; the session is connected only while one is taken (a
 * session left connected at exit makes Node wait for "the debugger" to disconnect).
 */
export class MainThreadProfiler {
  #busy = false;

  get busy(): boolean {
    return this.#busy;
  }

  /**
   * Profile for `seconds`, then return the profile as `.cpuprofile` JSON text.
   * @throws ProfilerBusyError when one is being taken; the session's errors as they are.
   */
  async profile(seconds: number, signal: AbortSignal): Promise<string> {
    if (this.#busy) throw new ProfilerBusyError("a CPU profile is being taken; one at a time");
    this.#busy = true;
    const session = new inspector.Session();
    try {
      session.connectToMainThread();
      await post(session, "Profiler.enable");
      await post(session, "Profiler.start");
      await sleep(seconds * 1_000, signal);
      const { profile } = (await post(session, "Profiler.stop")) as { profile: unknown };
      await post(session, "Profiler.disable");
      return JSON.stringify(profile);
    } finally {
      try {
        session.disconnect();
      } catch {
        // Already disconnected.
      }
      this.#busy = false;
    }
  }
}

function post(session: inspector.Session, method: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    session.post(method, (error: Error | null, result?: unknown) => {
      if (error !== null) reject(error);
      else resolve(result);
    });
  });
}

/** Resolves after `ms`, or early when `signal` aborts (the client went away: the profile ends sooner). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
