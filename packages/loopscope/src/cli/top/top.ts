/**
 * `loopscope top <pid | url>`: the live terminal view of a process's tasks, loop and
 * blocks, read over the inspector's protocol only. A pid is reached as `loopscope
 * inspect` reaches it (its address file, or an inspector opened on demand).
 */
import type {
  ErrorAnswer,
  InspectorAddress,
  LiveMessage,
  LoopBlockedEvent,
  RecorderAnswer,
} from "../../protocol/index.js";
import { PROTOCOL_VERSION } from "../../protocol/index.js";
import { EXIT } from "../exit-codes.js";
import { inspectorOf } from "../inspect.js";
import { fail, inspectorUrl, isInspectorUrl } from "../target.js";
import { InspectorConnection, ProtocolMismatchError } from "./connection.js";
import { Screen } from "./screen.js";
import type { Effect, TopState } from "./state.js";
import {
  gone,
  initialState,
  pressKey,
  taskQueryOf,
  withAnswer,
  withBlocks,
  withDetail,
  withMessage,
  withRecorder,
  withSample,
  withSamples,
  withStatus,
} from "./state.js";
import { renderView, tableRows } from "./view.js";

/** Options of `loopscope top`. */
export interface TopOptions {
  readonly timeoutMs?: string;
}

/** Recent events read at start, for the blocks already reported. */
const RECENT_EVENTS = 200;
/** While the filter is typed, the table is asked for at once (not at the next push), at most this often. */
const QUERY_DEBOUNCE_MS = 80;

export async function topCommand(targetText: string, options: TopOptions): Promise<number> {
  if (process.stdout.isTTY !== true || process.stdin.isTTY !== true) {
    return fail(
      EXIT.USAGE,
      "top draws in a terminal, and stdin or stdout is not one: use `loopscope dump` for text",
    );
  }
  const target = await addressOf(targetText, options);
  if (typeof target === "number") return target;
  const connection = new InspectorConnection(target.base, target.token);
  let state = initialState(target.label);
  try {
    const [status, loop, events] = await Promise.all([
      connection.status(),
      connection.loopSamples(),
      connection.recentEvents(RECENT_EVENTS),
    ]);
    state = withStatus(state, status);
    state = withSamples(state, loop.samples);
    state = withBlocks(
      state,
      events.events.filter((event): event is LoopBlockedEvent => event.type === "loop-blocked"),
    );
    state = { ...state, connection: "connecting" };
  } catch (error) {
    if (error instanceof ProtocolMismatchError) return fail(EXIT.PROTOCOL_MISMATCH, error.message);
    return fail(EXIT.NO_ANSWER, `no answer from ${connection.url}: ${(error as Error).message}`);
  }
  return runTop(connection, state, target);
}

interface TopTarget {
  readonly base: URL;
  readonly token: string;
  readonly label: string;
  readonly pid?: number;
}

async function addressOf(targetText: string, options: TopOptions): Promise<TopTarget | number> {
  if (isInspectorUrl(targetText)) {
    const address = inspectorUrl(targetText);
    if (typeof address === "number") return address;
    return { ...address, label: address.base.host };
  }
  const address: InspectorAddress | number = await inspectorOf(targetText, options.timeoutMs);
  if (typeof address === "number") return address;
  return {
    base: new URL(address.url),
    token: address.token,
    label: `pid ${address.pid}`,
    pid: address.pid,
  };
}

/** Draw and follow until `q`, Ctrl-C or a signal; resolves to the exit code. */
function runTop(
  connection: InspectorConnection,
  first: TopState,
  target: TopTarget,
): Promise<number> {
  const pid = target.pid;
  return new Promise((resolve) => {
    let state = first;
    let drawing: NodeJS.Immediate | undefined;
    let asking: NodeJS.Timeout | undefined;
    let finished = false;
    let afterward: string | undefined;

    const draw = (): void => {
      drawing = undefined;
      screen.paint(renderView(state, screen.width, screen.height));
    };
    const redraw = (): void => {
      drawing ??= setImmediate(draw);
    };
    const update = (next: TopState): void => {
      state = next;
      redraw();
    };

    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      if (drawing !== undefined) clearImmediate(drawing);
      if (asking !== undefined) clearTimeout(asking);
      connection.close();
      screen.close();
      for (const [signal, listener] of signals) process.off(signal, listener);
      process.off("exit", restore);
      if (afterward !== undefined) process.stderr.write(`loopscope: ${afterward}\n`);
      resolve(code);
    };

    const askTasksNow = (): void => {
      if (asking !== undefined) clearTimeout(asking);
      asking = setTimeout(() => {
        asking = undefined;
        const query = taskQueryOf(state);
        connection.subscribe(query);
        connection.tasks(query).then(
          (answer) => update(withAnswer(state, answer)),
          (error: unknown) => update(withMessage(state, (error as Error).message, "alert")),
        );
      }, QUERY_DEBOUNCE_MS);
    };

    const refreshDetail = (id: number): void => {
      connection.taskDetail(id).then(
        (detail) => update(withDetail(state, detail)),
        (error: unknown) =>
          update(
            withMessage(
              { ...state, view: "tasks" },
              `task ${id}: ${(error as Error).message}`,
              "alert",
            ),
          ),
      );
    };

    const apply = (effect: Effect | undefined): void => {
      switch (effect?.type) {
        case undefined:
          return;
        case "quit":
          return finish(EXIT.OK);
        case "query":
          return askTasksNow();
        case "detail":
          return refreshDetail(effect.id);
        case "recorder":
          recorderOf(target).then(
            (answer) => update(withRecorder(state, answer)),
            (error: unknown) => {
              if (error instanceof ProtocolMismatchError) {
                afterward = error.message;
                return finish(EXIT.PROTOCOL_MISMATCH);
              }
              update(
                withMessage(
                  { ...state, view: "tasks" },
                  `flight recorder: ${(error as Error).message}`,
                  "alert",
                ),
              );
            },
          );
          return;
        case "cancel":
          connection.cancel(effect.id).then(
            (answer) =>
              update(
                withMessage(
                  state,
                  answer.cancelled
                    ? `task ${answer.id}: cancel requested`
                    : `task ${answer.id} is no longer pending`,
                  "info",
                ),
              ),
            (error: unknown) => update(withMessage(state, (error as Error).message, "alert")),
          );
      }
    };

    const received = (message: LiveMessage): void => {
      switch (message.type) {
        case "hello":
          return update(withStatus(state, message.status));
        case "status":
          if (state.view === "detail" && state.detail !== undefined)
            refreshDetail(state.detail.task.id);
          return update(withStatus(state, message));
        case "loop-sample":
          return update(withSample(state, message.sample));
        case "event":
          if (message.event.type === "loop-blocked") update(withBlocks(state, [message.event]));
          return;
        case "tasks":
          return update(withAnswer(state, message));
        case "error":
          return update(withMessage(state, message.error.message, "alert"));
      }
    };

    const screen = new Screen({
      key: (name) => {
        const result = pressKey(state, name, tableRows(screen.height));
        update(result.state);
        apply(result.effect);
      },
      resize: () => redraw(),
    });
    // Whatever ends the process, the terminal is given back.
    const restore = (): void => screen.close();
    process.on("exit", restore);
    const signals = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map(
      (signal) => [signal, () => finish(128 + signalNumber(signal))] as const,
    );
    for (const [signal, listener] of signals) process.on(signal, listener);

    draw();
    connection.open({
      message: received,
      gone: (reason) =>
        update(gone(state, pid !== undefined && !alive(pid) ? `process ${pid} has ended` : reason)),
      mismatch: (error) => {
        afterward = error.message;
        finish(EXIT.PROTOCOL_MISMATCH);
      },
    });
    connection.subscribe(taskQueryOf(state));
  });
}

/** How long the flight recorder's answer may take: the process may be busy. */
const RECORDER_TIMEOUT_MS = 5_000;

/** `GET /api/recorder`: the flight recorder's last seconds, as the live view of it asks. */
async function recorderOf(target: TopTarget): Promise<RecorderAnswer> {
  const response = await fetch(new URL("api/recorder", target.base), {
    headers: { Authorization: `Bearer ${target.token}` },
    signal: AbortSignal.timeout(RECORDER_TIMEOUT_MS),
  });
  const body = (await response.json()) as RecorderAnswer &
    Partial<ErrorAnswer> & { protocol?: unknown };
  if (body.protocol !== PROTOCOL_VERSION) throw new ProtocolMismatchError(body.protocol);
  if (!response.ok) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
  return body;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function signalNumber(signal: "SIGINT" | "SIGTERM" | "SIGHUP"): number {
  return signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 1;
}
