export type {
  Broker,
  BrokerMessage,
  BrokerStats,
  DeadLetter,
  PullOptions,
} from "./broker/types.js";
export type {
  Clock,
  TimerHandle,
  MemoryBrokerOptions,
  MemoryBrokerStats,
  MemoryMessage,
} from "./broker/index.js";
export { BrokerClosedError, BrokerError, MemoryBroker, systemClock } from "./broker/index.js";
export { ErrorCode } from "./errors/index.js";

export type { MayhemMessage } from "./message/index.js";
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  MALFORMED_MESSAGE,
  MalformedMessageError,
  createMessage,
  decodeMessage,
  encodeMessage,
  hostnameOf,
} from "./message/index.js";

export type { Knob, LogFormat, LogLevel, MayhemConfig } from "./config/index.js";
export {
  ConfigError,
  INVALID_CONFIG,
  InvalidValue,
  KNOBS,
  defaultConfig,
  resolveConfig,
} from "./config/index.js";

export type { Logger, LoggerOptions } from "./log/index.js";
export { createLogger, flushLogger, silentLogger } from "./log/index.js";

export type {
  Actions,
  CancellableWork,
  ConsumerOptions,
  Defect,
  DeliveryHandler,
  DeliveryOutcome,
  ExceptionHandlerOptions,
  HandleOutcome,
  HandlerContext,
  InstalledExceptionHandler,
  MockActionsOptions,
  ProcessBinding,
  ProcessBindingOptions,
  PublisherOptions,
  ServiceHandle,
  ServiceOptions,
  ServiceStatsSnapshot,
  ShutdownResult,
  Sleeper,
} from "./service/index.js";
export {
  Consumer,
  DEFECTS,
  InjectedDefects,
  ErrorCodes,
  EXIT_AFTER_CRASH,
  EXIT_DEADLINE_EXCEEDED,
  MayhemError,
  MockActions,
  Publisher,
  RestartFailedError,
  SHUTDOWN_SIGNALS,
  SaveFailedError,
  ServiceStats,
  ShutdownError,
  bindServiceToProcess,
  createRandom,
  handleMessage,
  installExceptionHandler,
  parseDefects,
  nextTurn,
  runService,
  signalExitCode,
  spawnHandler,
  timerSleeper,
  unitOfWorkName,
  yieldSleeper,
} from "./service/index.js";

export type { BenchOptions, BenchResult, BenchRun } from "./bench/index.js";
export { runBench } from "./bench/index.js";
export type { NatsBenchOptions, NatsBenchResult } from "./bench/index.js";
export { runNatsBench } from "./bench/index.js";

export type {
  NatsBrokerLogger,
  NatsBrokerOptions,
  NatsBrokerStats,
  NatsPublisherOptions,
  NatsServerStats,
  NatsServerStatsOptions,
} from "./broker/nats/index.js";
export {
  DeadLetterHeader,
  NatsBroker,
  NatsConfigMismatchError,
  NatsPublisher,
  natsBrokerDefaults,
  natsServerStats,
} from "./broker/nats/index.js";

export type { CliIo } from "./cli/index.js";
export { EXIT_USAGE, createBroker, main } from "./cli/index.js";
export { BROKER_START_FAILED, BrokerStartError } from "./cli/index.js";
