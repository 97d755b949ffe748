/**
 * What `JSON.parse` silently loses from a message: keys it kept only the
 * last of, and numbers it rounded (or made `Infinity`). Run on every
 * parsed frame, so it must cost next to nothing when nothing was lost,
 * which is nearly always.
 *
 * @module
 */
import { type DuplicateKey, findDuplicateKeys } from "./duplicate_keys.ts";
import { inexactAfter, inexactTokenAt } from "./raw_number.ts";

/** What a parse lost. */
export interface ParseLosses {
  /** Keys repeated in one object (see {@linkcode findDuplicateKeys}). */
  duplicates: DuplicateKey[];
  /** Some number is one a double cannot hold: parse again with `parseExact`. */
  inexact: boolean;
}

const NONE: ParseLosses = Object.freeze({
  duplicates: Object.freeze([]) as unknown as DuplicateKey[],
  inexact: false,
});

/**
 * What `JSON.parse` lost from `text`, given what it returned.
 *
 * The fast path, explained once. The parsed value is walked once,
 * counting its keys and its numbers (members and array elements apart).
 * The text is searched with `indexOf` for colons: a colon after a quote
 * that no backslash escapes (whitespace between them allowed) ends a key,
 * and is nothing else, so their count is the number of keys in the text.
 * More keys in the text than in the value means repeated keys; only then
 * does a full scan find which. The value that follows such a colon is a
 * member, so its number, if it is one, is checked there (at most 15
 * digits and a two-digit exponent is exact, so a small id costs a look at
 * two characters). Numbers in arrays follow a `[` or `,`, which are
 * searched only when the walk found any.
 *
 * @example
 * ```ts
 * import { parseLosses } from "./_parse_losses.ts";
 * import assert from "node:assert/strict";
 *
 * const text = '{"id":12345678901234567890,"a":1,"a":2}';
 * assert.deepEqual(parseLosses(text, JSON.parse(text)), {
 *   duplicates: [{ path: "", key: "a" }],
 *   inexact: true,
 * });
 * const ok = '{"id":7,"params":{"s":"\\"a\\":1","list":[1,2.5]}}';
 * assert.deepEqual(parseLosses(ok, JSON.parse(ok)), { duplicates: [], inexact: false });
 * ```
 */
export function parseLosses(text: string, value: unknown): ParseLosses {
  if (typeof value !== "object" || value === null) return NONE;
  // The walk: keys, member numbers, element numbers.
  let keys = 0;
  let memberNumbers = 0;
  let elementNumbers = 0;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const v = stack.pop() as Record<string, unknown>;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item = v[i];
        if (typeof item === "object") {
          if (item !== null) stack.push(item);
        } else if (typeof item === "number") elementNumbers++;
      }
    } else {
      for (const k in v) {
        keys++;
        const item = v[k];
        if (typeof item === "object") {
          if (item !== null) stack.push(item);
        } else if (typeof item === "number") memberNumbers++;
      }
    }
  }
  // The text: keys, and the numbers after them.
  let textKeys = 0;
  let inexact = false;
  for (let at = text.indexOf(":"); at >= 0; at = text.indexOf(":", at + 1)) {
    let q = at - 1;
    let c = text.charCodeAt(q);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      c = text.charCodeAt(--q);
    }
    if (c !== 0x22) continue;
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 !== 0) continue;
    textKeys++;
    if (memberNumbers > 0 && !inexact) {
      let i = at + 1;
      c = text.charCodeAt(i);
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        c = text.charCodeAt(++i);
      }
      if ((c >= 0x30 && c <= 0x39) || c === 0x2d) {
        inexact = inexactTokenAt(text, i);
      }
    }
  }
  if (elementNumbers > 0 && !inexact) {
    inexact = inexactAfter(text, "[") || inexactAfter(text, ",");
  }
  if (textKeys === keys && !inexact) return NONE;
  return {
    duplicates: textKeys > keys ? findDuplicateKeys(text) : [],
    inexact,
  };
}
