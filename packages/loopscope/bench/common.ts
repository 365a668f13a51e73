/** Helpers the benches share: arguments, a clean child environment, medians. */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
export { environmentWithoutLoopscope } from "../../../scripts/child-env.mjs";

/**
 * `--name N` from the command line: a positive integer, or `fallback` when absent. A bad
 * value is an error naming the flag and the value, not a silent fallback.
 */
export function positiveIntegerArgument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(
      `--${name} must be a positive integer, received ${String(process.argv[index + 1])}`,
    );
  }
  return value;
}

/**
 * `--before DIR`: the preload of another build of loopscope, to compare with this one in
 * the same run (the cost of a change, before and after). DIR is a checkout built with
 * `npm run build`, or its packages/loopscope; the answer is its dist/register.js, or
 * `undefined` when the flag is absent.
 */
export function beforeRegisterArgument(): string | undefined {
  const index = process.argv.indexOf("--before");
  if (index === -1) return undefined;
  const dir = process.argv[index + 1];
  if (dir === undefined)
    throw new TypeError("--before needs a directory: a built checkout of loopscope");
  const candidates = [
    join(dir, "packages", "loopscope", "dist", "register.js"),
    join(dir, "dist", "register.js"),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new TypeError(
      `--before ${dir}: no built preload (${candidates.join(" or ")}); run npm run build there`,
    );
  }
  return resolve(found);
}

/**
 * The node arguments of a bench variant: `off` none, `preload` this build's preload
 * (`loopscope/register`), `before` the preload of `--before`'s build.
 */
export function preloadArguments(
  variant: "off" | "preload" | "before",
  before: string | undefined,
): string[] {
  if (variant === "preload") return ["--import", "loopscope/register"];
  if (variant === "before" && before !== undefined) return ["--import", pathToFileURL(before).href];
  return [];
}

/** The median; for an even count, the mean of the middle two. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The promise pipeline's handler, as source for a child program: 22 promises a message (10
 * awaited async stages, 2 each, and the handler's own 2) and two JSON calls (the message
 * parsed, the answer stringified). `bench/attribution.ts` and `bench/gc-tracking.ts` run it.
 */
export const PIPELINE_HANDLER = `async function stage(value) { await null; return value + 1; }
async function handle(text) {
  const order = JSON.parse(text);
  let seq = order.seq;
  for (let i = 0; i < 10; i++) seq = await stage(seq);
  return JSON.stringify({ ok: true, id: order.id, items: order.items.length, seq });
}`;
