export type { Actions, MockActionsOptions } from "./actions.js";
export { MockActions } from "./actions.js";
export type { CancellableWork, DeliveryDispatcherOptions, DeliveryHandler } from "./dispatcher.js";
export { DeliveryDispatcher } from "./dispatcher.js";
export { RestartFailedError, SaveFailedError, ShutdownError } from "./errors.js";
export type { ExceptionHandlerOptions, InstalledExceptionHandler } from "./exception-handler.js";
export { installExceptionHandler } from "./exception-handler.js";
export type { HandleOutcome, HandlerContext } from "./handler.js";
export { handleMessage, handleTaskName, spawnHandler } from "./handler.js";
export { InjectedDefects } from "./inject.js";
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
export { childRandom, createRandom } from "./random.js";
export type { DeliveryOutcome, ServiceHandle, ServiceOptions, ShutdownResult } from "./service.js";
export { runService } from "./service.js";
export type { CancelSignal, Sleeper } from "./sleep.js";
export { Latch, nextTurn, timerSleeper, yieldSleeper } from "./sleep.js";
export type { ServiceStatsSnapshot } from "./stats.js";
export { ServiceStats } from "./stats.js";
