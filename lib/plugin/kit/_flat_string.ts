/**
 * Flat copies of strings, for text that is kept and looked up again.
 *
 * @module
 */

/**
 * `text` as a flat, unique (internalized) string: what V8 makes of a
 * property key. A string built by concatenation or cut from a longer one
 * is flattened and hashed again by every table it is looked up in, and
 * takes `JSON.stringify` off its fast path for the whole object holding
 * it; the flat copy is hashed once and keeps that path.
 *
 * @example
 * ```ts
 * import { flatString } from "./_flat_string.ts";
 * import assert from "node:assert/strict";
 *
 * const built = ["arguments", "employee_id"].join(".");
 * assert.equal(flatString(built), "arguments.employee_id");
 * ```
 */
export function flatString(text: string): string {
  return Object.keys({ [text]: 0 })[0];
}
