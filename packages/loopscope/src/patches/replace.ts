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
