/**
 * How log strings are bounded before they reach the page: names, entity
 * values and payloads are clipped, each with a note of what was left out, so
 * one huge message cannot make the report unreadable or too big to open.
 *
 * @module
 */
import type { Rec } from "./_loose_event.ts";

/** Limits applied to log strings before they reach the page. */
export const LIMITS = {
  /** Longest string kept in an expanded payload. */
  payloadString: 2000,
  /** Most array items or object keys kept per level. */
  payloadItems: 100,
  /** Deepest nesting kept. */
  payloadDepth: 12,
  /** Characters kept per row payload in total. */
  payloadBudget: 40_000,
  /** Longest tool name or method shown. */
  name: 200,
  /** Longest entity value shown. */
  entityValue: 300,
} as const;

/**
 * Cuts a string to `max` characters, saying how long it was.
 *
 * @example
 * ```ts
 * import { clipString } from "./_clip.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(clipString("abcdef", 3), "abc… [6 chars in total]");
 * ```
 */
export function clipString(value: string, max: number): string {
  return value.length <= max
    ? value
    : `${value.slice(0, max)}… [${
      value.length.toLocaleString("en-US")
    } chars in total]`;
}

/**
 * Bounds a JSON value for display: long strings, long arrays and objects,
 * deep nesting and the total size are clipped, each with a note of what was
 * left out. Truncated payload markers are kept as they are.
 *
 * @example
 * ```ts
 * import { clipValue } from "./_clip.ts";
 * import assert from "node:assert/strict";
 *
 * const clipped = clipValue({ s: "x".repeat(5000) }) as { s: string };
 * assert.ok(clipped.s.length < 2100);
 * assert.match(clipped.s, /5,000 chars in total/);
 * ```
 */
export function clipValue(value: unknown): unknown {
  const budget = { left: LIMITS.payloadBudget };
  return clip(value, 0, budget);
}

/** Returns `value` itself when nothing needed clipping, so payloads are not copied. */
function clip(
  value: unknown,
  depth: number,
  budget: { left: number },
): unknown {
  if (typeof value === "string") {
    const max = Math.max(40, Math.min(LIMITS.payloadString, budget.left));
    const out = value.length <= max ? value : clipString(value, max);
    budget.left -= out.length;
    return out;
  }
  if (typeof value !== "object" || value === null) return value;
  if (depth >= LIMITS.payloadDepth) return "… [nested too deep]";
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      if (i >= LIMITS.payloadItems || budget.left <= 0) {
        out ??= value.slice(0, i);
        out.push(`… [${value.length - i} more items]`);
        break;
      }
      const item = clip(value[i], depth + 1, budget);
      if (out) out.push(item);
      else if (item !== value[i]) {
        out = value.slice(0, i);
        out.push(item);
      }
    }
    return out ?? value;
  }
  const source = value as Rec;
  let out: Rec | undefined;
  const keys = Object.keys(source);
  const copyUpTo = (end: number): Rec => {
    const o: Rec = {};
    for (let k = 0; k < end; k++) o[keys[k]] = source[keys[k]];
    return o;
  };
  for (let i = 0; i < keys.length; i++) {
    if (i >= LIMITS.payloadItems || budget.left <= 0) {
      out ??= copyUpTo(i);
      out["…"] = `${keys.length - i} more keys`;
      break;
    }
    const key = keys[i].length > 200 ? clipString(keys[i], 200) : keys[i];
    budget.left -= key.length;
    const item = clip(source[keys[i]], depth + 1, budget);
    if (out) out[key] = item;
    else if (item !== source[keys[i]] || key !== keys[i]) {
      out = copyUpTo(i);
      out[key] = item;
    }
  }
  return out ?? value;
}
