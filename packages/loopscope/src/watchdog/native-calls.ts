/**
 * The exact line of a native call that blocks the loop. The watchdog thread asks the main
 * thread for its stack through an interrupt, and a native call (`JSON.parse` of a large
 * text, `crypto.pbkdf2Sync`, `zlib.gunzipSync`) services no interrupt until it returns: the
 * capture then lands after the call, on the calling line or the one after it. So the known
 * blocking native calls are wrapped, thinly: the wrapper reads the shared control word
 * `Control.DETECTED` (thread-protocol.ts), which the watchdog thread bumps each time it
 * first detects a stall, before and after calling the original. When it changed, the call
 * was running when the stall was detected, and the stack is captured right there, as the
 * call returns, where the caller's frame is still at the call: V8's line and column of the
 * call expression, the position an exception thrown by the call would carry.
 *
 * Wrapped: `JSON.parse`, `JSON.stringify` (optional: the only hot ones), `fs.*Sync`,
 * `child_process.*Sync`, `zlib.*Sync`, `crypto.*Sync` and `Atomics.wait`. The hot path is
 * two reads of one `Int32Array` element, no clock and, once optimised, no allocation; the
 * rest (a stack capture) runs once per stall. What cannot be replaced (`JSON` and
 * `Atomics` under `--frozen-intrinsics`, a read-only export) is skipped and counted
 * (`patches/`): its stalls keep the capture taken after the call.
 *
 * Debug mode's blocking-call wrappers (`debug/blocking-calls.ts`) replace the same
 * functions; either may wrap the other, both keep working, and the frames of loopscope's
 * own wrappers between the caller and this one are dropped ({@link nativeCallFrames}).
 *
 * What the application can tell: `Function.prototype.toString` of a wrapped function
 * prints the wrapper's source, not `[native code]`; an exception thrown through a wrapped
 * call carries one more frame, the wrapper's, below the call's own (`at JSON.parse
 * (<anonymous>)` stays as it was); the `*Sync` functions lose their `prototype` (a method
 * has none, like a built-in). A reference taken before `install` (`const { parse } =
 * JSON`) keeps the original, and is not watched.
 */
import { BLOCKING_MODULES, syncFunctionKeys } from "../debug/index.js";
import type { Replaced } from "../patches/index.js";
import { copyFunctionShape, syncBuiltinImports, wrapFunction } from "../patches/index.js";
import type { Frame, TaskRef } from "../protocol/index.js";
import type { RawStack } from "../stacks/index.js";
import { captureStack, resolveStack } from "../stacks/index.js";
import { Control } from "./thread-protocol.js";

/** A native call that was running when a stall was detected, seen as it returned. */
export interface NativeCallRecord {
  /** What was called: `JSON.parse`, `crypto.pbkdf2Sync`, `Atomics.wait`. */
  readonly call: string;
  /**
   * The stack as the call returned, the wrapper's frame left out: its first frame is the
   * caller, at the call (after loopscope's own wrappers, if any: {@link nativeCallFrames}).
   */
  readonly stack: RawStack;
  /** The heartbeat's sequence when the call returned: the stall it belongs to. */
  readonly seq: bigint;
  /** The task running, if known. */
  readonly task: TaskRef | undefined;
  /**
   * `process.hrtime.bigint()` as the call returned. The loop turning long after it (the
   * stall went on in JavaScript) says the call was only part of the stall.
   */
  readonly returnedAt: bigint;
}

/** One function to wrap: `owner[key]`, named `call` in records and diagnostics. */
export interface NativeCallTarget {
  readonly owner: object;
  readonly key: string;
  readonly call: string;
}

/** Options of {@link NativeCallWatch}. */
export interface NativeCallWatchOptions {
  /** The task running now, for the record (default: none). */
  readonly currentTask?: () => TaskRef | undefined;
  /**
   * Wrap `JSON.parse` and `JSON.stringify` too (default `true`). They are the only hot
   * calls of the list: a service makes thousands a second.
   */
  readonly json?: boolean;
  /** @internal Tests: wrap these instead of the built-in list. */
  readonly targets?: readonly NativeCallTarget[];
}

/** A function as wrapped; `this` and the arguments are passed on as they came. */
type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
/** A wrapper, as put in the original's place. */
type Wrapper = (...args: never[]) => unknown;
/** Told that the call `wrapper` made returned after a stall was detected. */
type Seen = (wrapper: Wrapper) => void;

/** Frames kept, with room for wrappers dropped later: enough to reach application code. */
const RECORD_FRAMES = 64;

const DETECTED = Control.DETECTED;

/** The calls wrapped by default, e.g. `JSON.parse`, `fs.readFileSync`, `Atomics.wait`. */
export function nativeCallTargets(options: { readonly json?: boolean } = {}): NativeCallTarget[] {
  const targets: NativeCallTarget[] = [];
  if (options.json !== false) {
    targets.push({ owner: JSON, key: "parse", call: "JSON.parse" });
    targets.push({ owner: JSON, key: "stringify", call: "JSON.stringify" });
  }
  for (const [prefix, owner] of BLOCKING_MODULES) {
    for (const key of syncFunctionKeys(owner)) {
      targets.push({ owner, key, call: `${prefix}.${key}` });
    }
  }
  targets.push({ owner: Atomics, key: "wait", call: "Atomics.wait" });
  return targets;
}

/**
 * Watches the known blocking native calls for a stall detected while they ran, and keeps
 * the last such call's record: one stall's, the outermost of nested calls (it returns
 * last). `install` and `uninstall` are idempotent; the functions are process-wide, so one
 * instance at a time.
 *
 * @example
 * ```ts
 * const watch = new NativeCallWatch(control, () => heartbeat.seq, { currentTask: currentTaskRef });
 * watch.install();
 * // when stall `seq` is over:
 * const record = watch.take(seq); // { call: "JSON.parse", stack, seq, task, returnedAt } or undefined
 * ```
 */
export class NativeCallWatch {
  readonly #control: Int32Array;
  readonly #currentSeq: () => bigint;
  readonly #currentTask: () => TaskRef | undefined;
  readonly #targets: readonly NativeCallTarget[] | undefined;
  readonly #json: boolean;
  readonly #patched: { readonly replaced: Replaced<Wrapper>; readonly call: string }[] = [];
  #active = false;
  #record: NativeCallRecord | undefined;

  /**
   * @param control - the control block shared with the watchdog thread (`createControlArray`);
   *   only `Control.DETECTED` is read.
   * @param currentSeq - the heartbeat's current sequence (the stall's, while the loop is held).
   */
  constructor(control: Int32Array, currentSeq: () => bigint, options: NativeCallWatchOptions = {}) {
    this.#control = control;
    this.#currentSeq = currentSeq;
    this.#currentTask = options.currentTask ?? (() => undefined);
    this.#targets = options.targets;
    this.#json = options.json ?? true;
  }

  get installed(): boolean {
    return this.#active;
  }

  /** The calls wrapped now (`JSON.parse`, `fs.readFileSync`, ...); the skipped ones are not. */
  get wrapped(): readonly string[] {
    return this.#patched.map((patched) => patched.call);
  }

  /**
   * Wrap the calls. A function that cannot be replaced is skipped and recorded
   * (`skippedPatches()`); ESM named imports of the builtins see the wrappers. Never throws.
   */
  install(): void {
    if (this.#active) return;
    this.#active = true;
    const targets = this.#targets ?? nativeCallTargets({ json: this.#json });
    for (const target of targets) this.#patch(target);
    syncBuiltinImports();
  }

  /**
   * Put the originals back (a wrapper someone has wrapped since stays, and passes
   * through: it records nothing once uninstalled), and forget the record. Never throws.
   */
  uninstall(): void {
    if (!this.#active) return;
    this.#active = false;
    for (const patched of this.#patched.splice(0)) patched.replaced.restore();
    this.#record = undefined;
    syncBuiltinImports();
  }

  /**
   * The native call of stall `seq`, if one was seen returning after the stall was
   * detected; forgotten once taken. A record of an earlier stall is dropped.
   */
  take(seq: bigint): NativeCallRecord | undefined {
    const record = this.#record;
    if (record === undefined || record.seq > seq) return undefined;
    this.#record = undefined;
    return record.seq === seq ? record : undefined;
  }

  #patch(target: NativeCallTarget): void {
    const { owner, key, call } = target;
    const replaced = wrapFunction(
      owner,
      key,
      (original: AnyFunction): Wrapper => this.#wrap(original, call),
      call,
    );
    if (replaced !== undefined) this.#patched.push({ replaced, call });
  }

  #wrap(original: AnyFunction, call: string): Wrapper {
    const control = this.#control;
    const seen: Seen = (wrapper) => this.#seen(call, wrapper);
    const wrapper =
      call === "JSON.parse" && isBuiltin(original, "parse")
        ? parseWrapper(original, control, seen)
        : call === "JSON.stringify" && isBuiltin(original, "stringify")
          ? stringifyWrapper(original, control, seen)
          : anyWrapper(original, control, seen);
    copyFunctionShape(original, wrapper);
    return wrapper;
  }

  /** The call returned after a stall was detected (rare: once per stall, per call running). */
  #seen(call: string, wrapper: Wrapper): void {
    try {
      if (!this.#active) return;
      const stack = captureStack(wrapper, RECORD_FRAMES);
      let task: TaskRef | undefined;
      try {
        task = this.#currentTask();
      } catch {
        task = undefined;
      }
      // The latest wins: the outermost of nested calls returns last.
      this.#record = {
        call,
        stack,
        seq: this.#currentSeq(),
        task,
        returnedAt: process.hrtime.bigint(),
      };
    } catch {
      // Never throw into the application's call.
    }
  }
}

/**
 * The record's frames, innermost first, from the line that made the call: resolved
 * (source-mapped), without the frames of loopscope's own wrappers above it (debug mode's
 * blocking-call wrapper, when it wrapped this one). Never throws.
 */
export function nativeCallFrames(record: NativeCallRecord): readonly Frame[] {
  const frames = resolveStack(record.stack);
  let first = 0;
  while (first < frames.length && frames[first]!.loopscope === true) first++;
  return first === 0 ? frames : frames.slice(first);
}

/*
 * The wrappers. Each reads the control word before and after the call and does nothing
 * else on its way; `finally` so that a call that throws after a long time (a large
 * malformed text) is seen too, its exception passing through unchanged. `seen` never
 * throws; the `try` around it guards against a stack overflow at its call. Methods, not
 * `function`s: like the built-ins, they cannot be called with `new`.
 */

function anyWrapper(original: AnyFunction, control: Int32Array, seen: Seen): Wrapper {
  // A method, for its lack of [[Construct]]; `this` is the caller's, passed on.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const wrapper = {
    wrapper(this: unknown, ...args: unknown[]): unknown {
      const before = control[DETECTED];
      try {
        return Reflect.apply(original, this, args);
      } finally {
        if (control[DETECTED] !== before) {
          try {
            seen(wrapper);
          } catch {
            // Never throw into the application's call.
          }
        }
      }
    },
  }.wrapper;
  return wrapper;
}

/**
 * The built-in `JSON.parse` reads two arguments: called with exactly those, its behaviour
 * is the same, without the rest array unoptimised code allocates. The receiver is passed
 * on too: the built-in ignores it, but an error's stack names the call after it
 * (`at JSON.parse (<anonymous>)`, as without the wrapper). Used only when the original is
 * the built-in itself.
 */
function parseWrapper(original: AnyFunction, control: Int32Array, seen: Seen): Wrapper {
  const parse = uncurryThis(original);
  // A method, as the built-in: not a constructor; `this` is the caller's, passed on.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const wrapper = {
    parse(this: unknown, text: unknown, reviver: unknown): unknown {
      const before = control[DETECTED];
      try {
        return parse(this, text, reviver);
      } finally {
        if (control[DETECTED] !== before) {
          try {
            seen(wrapper);
          } catch {
            // Never throw into the application's call.
          }
        }
      }
    },
  }.parse;
  return wrapper;
}

/** As {@link parseWrapper}, for the built-in `JSON.stringify` (three arguments). */
function stringifyWrapper(original: AnyFunction, control: Int32Array, seen: Seen): Wrapper {
  const stringify = uncurryThis(original);
  // A method, as the built-in: not a constructor; `this` is the caller's, passed on.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const wrapper = {
    stringify(this: unknown, value: unknown, replacer: unknown, space: unknown): unknown {
      const before = control[DETECTED];
      try {
        return stringify(this, value, replacer, space);
      } finally {
        if (control[DETECTED] !== before) {
          try {
            seen(wrapper);
          } catch {
            // Never throw into the application's call.
          }
        }
      }
    },
  }.stringify;
  return wrapper;
}

/** Saved at load: an application that replaces `Function.prototype.call` changes nothing here. */
// eslint-disable-next-line @typescript-eslint/unbound-method -- only ever bound, to a function
const FunctionPrototypeCall = Function.prototype.call;

/**
 * `fn` as a function taking its receiver first, as Node's primordials do it (V8 turns the
 * call into a direct one): `uncurryThis(fn)(self, a, b)` is `fn.call(self, a, b)`.
 */
function uncurryThis(fn: AnyFunction): (self: unknown, ...args: unknown[]) => unknown {
  return FunctionPrototypeCall.bind(fn) as (self: unknown, ...args: unknown[]) => unknown;
}

/**
 * Whether `fn` is V8's own function of that name (`function parse() { [native code] }`),
 * not someone's wrapper: a bound function or a proxy prints no name.
 */
function isBuiltin(fn: AnyFunction, name: string): boolean {
  try {
    return Function.prototype.toString.call(fn) === `function ${name}() { [native code] }`;
  } catch {
    return false;
  }
}
