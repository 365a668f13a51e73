export type {
  Broker,
  BrokerMessage,
  BrokerStats,
  DeadLetter,
  PullOptions,
} from "./broker/types.js";
