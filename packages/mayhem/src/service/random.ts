import { randomInt } from "node:crypto";

/**
 * A seedable source of numbers in [0, 1): mulberry32, a 32-bit generator that
 * is a handful of integer operations per draw (it runs several times per
 * message). Not for cryptography.
 *
 * @param seed - any integer; omitted: a random seed (not reproducible).
 * @example
 * const random = createRandom(0);
 * random(); // the same sequence on every run
 */
export function createRandom(seed?: number): () => number {
  if (seed !== undefined && !Number.isInteger(seed)) {
    throw new TypeError(`seed must be an integer, got ${String(seed)}`);
  }
  let state = (seed ?? randomInt(0, 2 ** 32 - 1)) >>> 0;
  return function next(): number {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A generator of its own, seeded by one draw of `parent`: a part of the
 * service that draws at its own pace (the injected defects) gets the same
 * sequence for the same seed, whatever order the other parts draw in.
 */
export function childRandom(parent: () => number): () => number {
  return createRandom(Math.floor(parent() * 2 ** 32));
}
