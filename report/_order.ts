/**
 * The orders the report lists things in: plain string order, and labels
 * with the known ones first.
 *
 * @module
 */

/** Labels in the order shown; custom labels follow, alphabetically. */
export const KNOWN_LABELS: readonly string[] = [
  "READ",
  "SENSITIVE",
  "WRITE",
  "DESTRUCTIVE",
  "OPEN_WORLD",
];

/**
 * Code-unit order, the same in every locale (unlike `localeCompare`).
 *
 * @example
 * ```ts
 * import { cmp } from "./_order.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(["b", "B", "a"].sort(cmp), ["B", "a", "b"]);
 * ```
 */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Orders labels: {@linkcode KNOWN_LABELS} first in their order, then custom
 * labels alphabetically.
 *
 * @example
 * ```ts
 * import { labelOrder } from "./_order.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(["PII", "WRITE", "READ"].sort(labelOrder), ["READ", "WRITE", "PII"]);
 * ```
 */
export function labelOrder(a: string, b: string): number {
  return labelRank(a) - labelRank(b) || cmp(a, b);
}

function labelRank(label: string): number {
  const i = KNOWN_LABELS.indexOf(label);
  return i === -1 ? KNOWN_LABELS.length : i;
}
