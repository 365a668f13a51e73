import { InvalidValue } from "./errors.js";

/** Turns the text of a flag or environment variable into a value, or throws {@link InvalidValue}. */
export type Parser<T> = (raw: string) => T;

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** An integer in [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  const expected =
    max === Number.MAX_SAFE_INTEGER
      ? `an integer >= ${min}`
      : `an integer between ${min} and ${max}`;
  return (raw) => {
    const text = raw.trim();
    const value = Number(text);
    if (!INTEGER.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidValue(expected);
    }
    return value;
  };
}

/** A finite number in [min, max]. */
export function decimal(min: number, max: number): Parser<number> {
  const expected = `a number between ${min} and ${max}`;
  return (raw) => {
    const text = raw.trim();
    const value = Number(text);
    if (!NUMBER.test(text) || !Number.isFinite(value) || value < min || value > max) {
      throw new InvalidValue(expected);
    }
    return value;
  };
}

/** One of a fixed set of words (case-insensitive). */
export function oneOf<const T extends string>(choices: readonly T[]): Parser<T> {
  const expected = `one of ${choices.join(", ")}`;
  return (raw) => {
    const text = raw.trim().toLowerCase();
    const found = choices.find((choice) => choice === text);
    if (found === undefined) throw new InvalidValue(expected);
    return found;
  };
}

/** Like `inner`, but the word `none` (or an empty value) means "not set". */
export function optional<T>(inner: Parser<T>, none = "none"): Parser<T | undefined> {
  return (raw) => {
    const text = raw.trim().toLowerCase();
    if (text === "" || text === none) return undefined;
    try {
      return inner(raw);
    } catch (error) {
      if (error instanceof InvalidValue) {
        throw new InvalidValue(`${error.expected}, or "${none}"`);
      }
      throw error;
    }
  };
}

/** A switch: true, false (and yes/no, on/off, 1/0); a bare flag is true. */
export const onOff: Parser<boolean> = (raw) => {
  const text = raw.trim().toLowerCase();
  if (["", "true", "yes", "on", "1"].includes(text)) return true;
  if (["false", "no", "off", "0"].includes(text)) return false;
  throw new InvalidValue("true or false");
};
