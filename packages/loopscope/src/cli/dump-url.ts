import type { InspectorStatus, TaskDumpEvent, TaskQueryAnswer } from "../protocol/index.js";
import { PROTOCOL_VERSION } from "../protocol/index.js";
import { renderDump } from "../render/index.js";
import { EXIT } from "./exit-codes.js";
import { fail, inspectorUrl } from "./target.js";

/** Tasks a dump over the protocol asks for: the inspector's most per answer. */
const DUMP_LIMIT = 1_000;

/**
 * `loopscope dump <url>`: a one-shot dump of the process serving the inspector at `url`
 * (its token in the URL's `token` parameter, as `loopscope inspect` prints it, or in
 * `LOOPSCOPE_TOKEN`), read over its protocol and rendered as the SIGUSR2 dump is, with
 * the 1,000 oldest pending tasks. Resolves to the exit code.
 */
export async function dumpOverProtocol(
  urlText: string,
  options: { readonly json?: boolean; readonly timeoutMs?: string },
): Promise<number> {
  const address = inspectorUrl(urlText);
  if (typeof address === "number") return address;
  const { base, token } = address;
  const timeoutMs = options.timeoutMs === undefined ? 5_000 : Number(options.timeoutMs);
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(new URL(path, base), {
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(Number.isInteger(timeoutMs) && timeoutMs > 0 ? timeoutMs : 5_000),
    });
    const body = (await response.json()) as T & {
      protocol?: unknown;
      error?: { message?: string };
    };
    if (!response.ok)
      throw new Error(`${path}: ${response.status} ${body.error?.message ?? ""}`.trim());
    if (body.protocol !== PROTOCOL_VERSION) {
      throw new Error(
        `${path}: protocol ${String(body.protocol)}, this loopscope reads ${PROTOCOL_VERSION}`,
      );
    }
    return body;
  };
  let status: InspectorStatus;
  let answer: TaskQueryAnswer;
  try {
    [status, answer] = await Promise.all([
      get<InspectorStatus>("api/status"),
      get<TaskQueryAnswer>(`api/tasks?limit=${DUMP_LIMIT}`),
    ]);
  } catch (error) {
    return fail(EXIT.NO_ANSWER, `no dump from ${base.href}: ${(error as Error).message}`);
  }
  const event: TaskDumpEvent = {
    type: "task-dump",
    protocol: PROTOCOL_VERSION,
    time: answer.computedAt,
    pid: status.pid,
    mode: answer.mode,
    tasks: answer.tasks,
    ...(answer.unsampled > 0 ? { unsampled: answer.unsampled } : {}),
  };
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(event)}\n`);
  } else {
    const shown =
      answer.matched > answer.tasks.length
        ? ` (the ${answer.tasks.length} oldest of ${answer.matched})`
        : "";
    const stale = answer.stale ? " (the loop is blocked: the last answer it gave)" : "";
    process.stdout.write(
      `${renderDump(event)}\n${shown || stale ? `loopscope:${shown}${stale}\n` : ""}`,
    );
  }
  return EXIT.OK;
}
