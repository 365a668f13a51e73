import { ErrorCode, MayhemError } from "../errors/index.js";

/** How to get a local server, for error messages and the docs. */
export const LOCAL_NATS_SERVER_HINT =
  "start a local one with: nats-server -js -sd /tmp/nats-store -a 127.0.0.1 -p 4222";

/**
 * The broker could not be started (or read): the server is unreachable, or an
 * existing stream or consumer does not match the configuration. The CLI prints
 * the message (never a stack) and exits 1; `cause` holds the client's error.
 */
export class BrokerStartError extends MayhemError {
  constructor(
    /** Where the broker was: the server URL. */
    readonly server: string,
    cause: unknown,
    /** What was being done, for the message. */
    action = "start the nats broker",
  ) {
    super(ErrorCode.brokerStart, `could not ${action} at ${server}: ${explain(cause)}`, {
      cause,
    });
  }
}

function explain(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  // The client says CONNECTION_REFUSED (or a timeout) when nothing listens there.
  if (/refused|ECONNREFUSED|timeout|ENOTFOUND|EAI_AGAIN/i.test(message)) {
    return `${message} (is a nats-server with JetStream running there? ${LOCAL_NATS_SERVER_HINT})`;
  }
  return message;
}

/**
 * Runs `start` (a connect), turning any failure into a {@link BrokerStartError}
 * naming the server. TypeErrors (bad options) are programming errors and pass through.
 */
export async function startingNats<T>(
  server: string,
  start: () => Promise<T>,
  action?: string,
): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (error instanceof TypeError) throw error;
    throw new BrokerStartError(server, error, action);
  }
}
