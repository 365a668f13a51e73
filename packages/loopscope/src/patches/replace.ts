import { syncBuiltinESMExports } from "node:module";
/**
 * Replacing a property of Node's or the application's (a module's function,
 * `process.emit`) without ever throwing: a property that cannot be changed is left as it
 * is and recorded as skipped. Newer Nodes define some module exports read-only
 * (`zlib.createZipArchiveSync` on Node 26), `--frozen-intrinsics` freezes `Atomics` and
 * `Error`, and an application may freeze a module object itself.
 */
import { recordSkip } from "./skipped.js";

/** A replacement in place; `restore()` puts the original back if ours is still there. */
export interface Replaced<T> {
  readonly original: T;
  restore(): void;
}

/**
 * Put `replacement` at `owner[key]`, keeping the property's attributes. A writable data
 * property is assigned; a read-only but configurable one is redefined; anything else
 * (non-configurable read-only, an accessor, a frozen or non-extensible object, a
 * proxy that refuses) is skipped, recorded under `target` and answered `undefined`.
 *
 * @param target - the name a diagnostic gives it: `fs.readFileSync`.
 */
export function replaceProperty<T>(
  owner: object,
  key: string,
  replacement: T,
  target: string,
): Replaced<T> | undefined {
  let descriptor: PropertyDescriptor | undefined;
  try {
    descriptor = Object.getOwnPropertyDescriptor(owner, key);
  } catch (error) {
    return skip(target, reasonOf(error));
  }
  if (descriptor === undefined) return replaceInherited(owner, key, replacement, target);
  if (!("value" in descriptor)) return skip(target, "accessor property");
  if (descriptor.writable !== true && descriptor.configurable !== true) {
    return skip(target, Object.isFrozen(owner) ? "object is frozen" : "read-only property");
  }
  const original = descriptor.value as T;
  if (!define(owner, key, descriptor, replacement)) return skip(target, "refused by its object");
  return {
    original,
    restore: () =>
      ifStillOurs(owner, key, replacement, () => define(owner, key, descriptor, original)),
  };
}

/**
 * `process.emit` lives on `EventEmitter.prototype`: an own property shadows it, as an
 * assignment would, and restoring deletes the shadow.
 */
function replaceInherited<T>(
  owner: object,
  key: string,
  replacement: T,
  target: string,
): Replaced<T> | undefined {
  let original: T;
  try {
    if (!(key in owner)) return skip(target, "no such property");
    original = Reflect.get(owner, key) as T;
  } catch (error) {
    return skip(target, reasonOf(error));
  }
  if (!Object.isExtensible(owner)) return skip(target, "object is frozen");
  const attributes = { writable: true, enumerable: true, configurable: true };
  if (!define(owner, key, attributes, replacement)) return skip(target, "refused by its object");
  return {
    original,
    restore: () => ifStillOurs(owner, key, replacement, () => Reflect.deleteProperty(owner, key)),
  };
}

/** Whether `owner[key] = value` would take (a writable data property, or a setter). */
export function isAssignable(owner: object, key: string): boolean {
  try {
    const descriptor = Object.getOwnPropertyDescriptor(owner, key);
    if (descriptor === undefined) return Object.isExtensible(owner);
    if ("value" in descriptor) return descriptor.writable === true;
    return descriptor.set !== undefined;
  } catch {
    return false;
  }
}

/** Someone replaced ours since: leave theirs in place (ours passes through when off). */
function ifStillOurs(
  owner: object,
  key: string,
  replacement: unknown,
  putBack: () => unknown,
): void {
  try {
    const now = Object.getOwnPropertyDescriptor(owner, key);
    if (now !== undefined && "value" in now && now.value === replacement) putBack();
  } catch {
    // Nothing to put back then.
  }
}

function define(
  owner: object,
  key: string,
  attributes: PropertyDescriptor,
  value: unknown,
): boolean {
  try {
    return (
      Reflect.defineProperty(owner, key, { ...attributes, value }) &&
      Reflect.get(owner, key) === value
    );
  } catch {
    return false;
  }
}

function skip(target: string, reason: string): undefined {
  recordSkip({ target, reason });
  return undefined;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Wrap the function at `owner[key]`: `wrap(original)` takes its place through
 * {@link replaceProperty}. Nothing is done (and `undefined` answered) when the property
 * is not a function or reading it throws (a getter that throws is not one to wrap).
 *
 * @param target - the name a diagnostic gives it: `fs.readFileSync`.
 */
export function wrapFunction<F extends (...args: never[]) => unknown, W>(
  owner: object,
  key: string,
  wrap: (original: F) => W,
  target: string,
): Replaced<W> | undefined {
  let original: unknown;
  try {
    original = (owner as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
  if (typeof original !== "function") return undefined;
  return replaceProperty(owner, key, wrap(original as F), target);
}

/**
 * Give `wrapper` the `name`, `length` and own properties (`fs.realpathSync.native`) of the
 * function it wraps. Never throws: what cannot be copied keeps the wrapper's own.
 */
export function copyFunctionShape(original: object, wrapper: object): void {
  let keys: (string | symbol)[];
  try {
    keys = Reflect.ownKeys(original);
  } catch {
    return;
  }
  for (const key of keys) {
    if (key === "prototype" || key === "arguments" || key === "caller") continue;
    try {
      const descriptor = Object.getOwnPropertyDescriptor(original, key);
      if (descriptor !== undefined) Object.defineProperty(wrapper, key, descriptor);
    } catch {
      // Non-configurable on the wrapper: keep the wrapper's own.
    }
  }
}

/**
 * Make ESM named imports of the builtins (`import { readFileSync } from "node:fs"`) see
 * the module objects' current functions, after wrapping or restoring them. Without it they
 * keep the function they had: less is seen, nothing is broken.
 */
export function syncBuiltinImports(): void {
  try {
    syncBuiltinESMExports();
  } catch {
    // As without it.
  }
}
