/**
 * The inspector's server thread (started by `../inspector.ts`; never imported by the main
 * thread). It loads the server, the protocol and `ws`, nothing that would start loopscope
 * again in this thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { InspectorThreadData, ToServer } from "../thread-protocol.js";
import { InspectorServer } from "./inspector-server.js";

// Loaded anywhere but in the thread `../inspector.ts` starts, this file does nothing.
if (parentPort !== null) {
  const port = parentPort;
  const server = new InspectorServer(workerData as InspectorThreadData, port);
  port.on("message", (message: ToServer) => server.received(message));
  server.start();
}
