export type { Actions, MockActionsOptions } from "./actions.js";
export { MockActions } from "./actions.js";
export type { CancellableWork, ConsumerOptions, DeliveryHandler } from "./consumer.js";
export { Consumer } from "./consumer.js";
export {
  ErrorCodes,
  MayhemError,
  RestartFailedError,
  SaveFailedError,
  ShutdownError,
} from "./errors.js";
export type { ExceptionHandlerOptions, InstalledExceptionHandler } from "./exception-handler.js";
export { installExceptionHandler } from "./exception-handler.js";
export type { HandleOutcome, HandlerContext } from "./handler.js";
export {
  extendDeadlineUntilDone,
  handleMessage,
  restartWithRetry,
  spawnHandler,
} from "./handler.js";
export type { Defect } from "./inject.js";
export { DEFECTS, InjectedDefects, parseDefects } from "./inject.js";
export type { ProcessBinding, ProcessBindingOptions } from "./process.js";
export {
  EXIT_AFTER_CRASH,
  EXIT_DEADLINE_EXCEEDED,
  SHUTDOWN_SIGNALS,
  bindServiceToProcess,
  signalExitCode,
} from "./process.js";
export type { PublisherOptions } from "./publisher.js";
export { Publisher } from "./publisher.js";
export { createRandom } from "./random.js";
export type { DeliveryOutcome, ServiceHandle, ServiceOptions, ShutdownResult } from "./service.js";
export { runService, unitOfWorkName } from "./service.js";
export type { CancelSignal, Sleeper } from "./sleep.js";
export { Latch, nextTurn, timerSleeper, yieldSleeper } from "./sleep.js";
export type { ServiceStatsSnapshot } from "./stats.js";
export { ServiceStats } from "./stats.js";
