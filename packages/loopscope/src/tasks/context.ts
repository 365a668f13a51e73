import type { TaskImpl } from "./task.js";

/**
 * The task whose code runs now. Production mode knows it during the synchronous
 * first step of a task (while `spawn` calls its function); debug mode's promise
 * hooks carry it across every `await`. A plain variable: reading it is free.
 */
export const context: {
  current: TaskImpl | undefined;
  /** Debug tracking is on. */
  debug: boolean;
  /** loopscope's own promise bookkeeping runs now: debug hooks skip it. */
  quiet: boolean;
} = { current: undefined, debug: false, quiet: false };
