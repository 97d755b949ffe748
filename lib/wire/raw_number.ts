/**
 * JSON numbers that a JavaScript number cannot hold (ids past 2^53, more
 * significant digits than a double keeps, `1e400`), kept as the peer's
 * source text: `JSON.parse` would round them, or make them `Infinity`,
 * which `JSON.stringify` writes as `null`. Such a number becomes a
 * `JSON.rawJSON` value, which `JSON.stringify` writes back as the very
 * token, so the log keeps the exact number as a JSON number.
 *
 * @module
 */

/**
 * A JSON number token kept as its source text (a `JSON.rawJSON` value:
 * frozen, prototype-less, serialised by `JSON.stringify` as `rawJSON`).
 */
export interface RawNumber {
  /** The number token as the peer wrote it, e.g. `12345678901234567890`. */
  readonly rawJSON: string;
}

// Deno's TypeScript lib does not declare the ES2025 additions yet.
interface RawJsonApi {
  rawJSON(text: string): RawNumber;
  isRawJSON(value: unknown): boolean;
  parse(
    text: string,
    reviver: (
      this: unknown,
      key: string,
      value: unknown,
      context: { source?: string },
    ) => unknown,
  ): unknown;
}
const json = JSON as unknown as RawJsonApi;

/**
 * Whether `value` is a {@linkcode RawNumber}.
 *
 * @example
 * ```ts
 * import { isRawNumber, parseExact } from "./raw_number.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isRawNumber((parseExact("[1e400]") as unknown[])[0]), true);
 * assert.equal(isRawNumber(1), false);
 * ```
 */
export function isRawNumber(value: unknown): value is RawNumber {
  return json.isRawJSON(value);
}

/**
 * Whether JSON text may hold a number that `JSON.parse` cannot keep
 * exactly: `false` proves it holds none; `true` asks for
 * {@linkcode parseExact}.
 *
 * @example
 * ```ts
 * import { mayHoldInexactNumber } from "./raw_number.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(mayHoldInexactNumber('{"id":9007199254740991,"x":[0.5]}'), false);
 * assert.equal(mayHoldInexactNumber('{"id":12345678901234567890}'), true);
 * assert.equal(mayHoldInexactNumber('{"x":[1,1e400]}'), true);
 * ```
 */
export function mayHoldInexactNumber(text: string): boolean {
  // Every value starts after a colon (a member), a bracket (a first
  // element) or a comma (a next one), so looking after each of these finds
  // every number token, and indexOf finds them much faster than a regular
  // expression finds digits (which costs more than JSON.parse itself).
  // Positions inside strings are looked at too, which is harmless: they are
  // rarely followed by a long number, and then a second parse is wasted.
  return inexactAfter(text, ":") || inexactAfter(text, ",") ||
    inexactAfter(text, "[");
}

/**
 * Whether a number after any `mark` (`:`, `,` or `[`) in the text is one a
 * double cannot hold.
 *
 * @example
 * ```ts
 * import { inexactAfter } from "./raw_number.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(inexactAfter("[1, 1e400]", ","), true);
 * assert.equal(inexactAfter("[1, 1e400]", "["), false);
 * ```
 */
export function inexactAfter(text: string, mark: string): boolean {
  for (let at = text.indexOf(mark); at >= 0; at = text.indexOf(mark, at + 1)) {
    let i = at + 1;
    let c = text.charCodeAt(i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      c = text.charCodeAt(++i);
    }
    if (((c >= 0x30 && c <= 0x39) || c === 0x2d) && inexactTokenAt(text, i)) {
      return true;
    }
  }
  return false;
}

/**
 * Whether the number token at `start` (if one starts there) is one a
 * double cannot hold. A token of at most 15 digits and a one- or two-digit
 * exponent is exact (its magnitude is between 1e-114 and 1e114, and a
 * double prints any 15-digit decimal back), so only longer ones are
 * compared.
 *
 * @example
 * ```ts
 * import { inexactTokenAt } from "./raw_number.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(inexactTokenAt('{"id":12345678901234567890}', 6), true);
 * assert.equal(inexactTokenAt('{"id":9007199254740991}', 6), false);
 * ```
 */
export function inexactTokenAt(text: string, start: number): boolean {
  let digits = 0;
  let exponentDigits = 0;
  let inExponent = false;
  let i = start;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (inExponent) exponentDigits++;
      else digits++;
    } else if (c === 0x65 || c === 0x45) inExponent = true;
    else if (c !== 0x2e && c !== 0x2d && c !== 0x2b) break;
  }
  if (digits <= 15 && exponentDigits <= 2) return false;
  const token = text.slice(start, i);
  return NUMBER_TOKEN.test(token) && !isExactInDouble(token, Number(token));
}

const NUMBER_TOKEN = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

/**
 * Parses JSON text as `JSON.parse` does, except that every number whose
 * value a double cannot hold becomes a {@linkcode RawNumber} of its token.
 * Slower than `JSON.parse` (a reviver call per value); for text that
 * {@linkcode mayHoldInexactNumber}.
 *
 * @example
 * ```ts
 * import { parseExact } from "./raw_number.ts";
 * import assert from "node:assert/strict";
 *
 * const text = '{"id":12345678901234567891,"n":1e400,"ok":0.1}';
 * assert.equal(JSON.stringify(parseExact(text)), text);
 * ```
 */
export function parseExact(text: string): unknown {
  return json.parse(text, function keepExact(_key, value, context): unknown {
    if (typeof value !== "number" || context.source === undefined) {
      return value;
    }
    return isExactInDouble(context.source, value)
      ? value
      : json.rawJSON(context.source);
  });
}

/**
 * The text of a JSON number, exact: a RawNumber's token, a number's
 * shortest form (`String`, which throws on a RawNumber).
 *
 * @example
 * ```ts
 * import { numberText, parseExact } from "./raw_number.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(numberText(-32601), "-32601");
 * assert.equal(numberText(parseExact("1e400") as never), "1e400");
 * ```
 */
export function numberText(value: number | RawNumber): string {
  return typeof value === "number" ? String(value) : value.rawJSON;
}

/**
 * A key for a JSON number that is equal for equal values however they are
 * written (`1e20` and `100000000000000000000`) and differs for different
 * values, including ones a double cannot tell apart; for pairing ids.
 *
 * @example
 * ```ts
 * import { numberKey, parseExact } from "./raw_number.ts";
 * import assert from "node:assert/strict";
 *
 * const a = parseExact("12345678901234567890") as never;
 * const b = parseExact("12345678901234567891") as never;
 * assert.notEqual(numberKey(a), numberKey(b));
 * assert.equal(numberKey(7), "7");
 * ```
 */
export function numberKey(value: number | RawNumber): string {
  // A RawNumber's value is never a double's (else it would not be raw), so
  // its canonical form cannot meet a number's String.
  return typeof value === "number"
    ? String(value)
    : `~${canonicalDecimal(value.rawJSON)}`;
}

/** Whether the double `value` parsed from `source` is the decimal `source` denotes. */
function isExactInDouble(source: string, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  // Safe integers and tokens of 15 significant digits or fewer are exact;
  // only longer tokens need the comparison.
  if (Number.isSafeInteger(value) && !/[.eE]/.test(source)) return true;
  return canonicalDecimal(source) === canonicalDecimal(String(value));
}

/**
 * A JSON number token (or a double's `String`) as `-digits e exponent`,
 * with no leading or trailing zeros in the digits; zero is `0`.
 */
function canonicalDecimal(token: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/.exec(token);
  if (!m) return token;
  const [, sign, int, frac = "", exp = "0"] = m;
  let digits = int + frac;
  let exponent = BigInt(exp) - BigInt(frac.length);
  const lead = digits.search(/[1-9]/);
  if (lead < 0) return "0";
  digits = digits.slice(lead);
  const trail = digits.length - digits.search(/0*$/);
  digits = digits.slice(0, digits.length - trail);
  exponent += BigInt(trail);
  return `${sign}${digits}e${exponent}`;
}
