import type { RawStack } from "../stacks/index.js";
import type { TaskImpl } from "./task.js";

/**
 * Debug mode's facts about promises, kept on the promises themselves under private
 * symbols instead of in `WeakMap`s: hundreds of thousands of promises a second pass
 * through the hooks, and a `WeakMap` entry is an ephemeron the garbage collector must
 * trace and clear (a `set` on a large, churning table measured ~8% of Mayhem's time in
 * debug mode; a property write costs a small backing store). Each fact lives and dies
 * with its promise. Every tag is written when the promise is created (by the hooks, or
 * by `spawn` for its own), before the application could freeze it.
 */

/** The task that was running when the promise was created: its reactions are that task's steps. */
const kContext = Symbol("loopscope.context");
/** The task whose `promise` this is. */
const kOwner = Symbol("loopscope.task");
/** Where the promise was created (sampled). */
const kCreation = Symbol("loopscope.creation");
/** A timers/promises timer's delay in milliseconds. */
const kTimerMs = Symbol("loopscope.timerMs");

interface Tagged {
  [kContext]?: TaskImpl;
  [kOwner]?: TaskImpl;
  [kCreation]?: RawStack;
  [kTimerMs]?: number;
}

export function setContextTask(promise: object, task: TaskImpl): void {
  (promise as Tagged)[kContext] = task;
}

export function contextTaskOf(promise: object): TaskImpl | undefined {
  return (promise as Tagged)[kContext];
}

export function setOwnerTask(promise: object, task: TaskImpl): void {
  (promise as Tagged)[kOwner] = task;
}

/** The task whose `promise` this is, if any. */
export function ownerTaskOf(promise: object): TaskImpl | undefined {
  return (promise as Tagged)[kOwner];
}

export function setCreation(promise: object, raw: RawStack): void {
  (promise as Tagged)[kCreation] = raw;
}

/** Where the promise was created, if it was captured. */
export function creationOf(promise: object): RawStack | undefined {
  return (promise as Tagged)[kCreation];
}

export function setTimerMs(promise: object, delayMs: number): void {
  (promise as Tagged)[kTimerMs] = delayMs;
}

/** The delay of a timers/promises timer's promise; -1 for any other promise. */
export function timerMsOf(promise: object): number {
  return (promise as Tagged)[kTimerMs] ?? -1;
}
