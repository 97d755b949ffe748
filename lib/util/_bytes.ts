/**
 * Byte helpers the design's `@std/bytes` would give (JSR is unreachable).
 *
 * @module
 */

/**
 * The parts one after another in a new array.
 *
 * @example
 * ```ts
 * import { concat } from "./_bytes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   concat([new Uint8Array([1]), new Uint8Array([2, 3])]),
 *   new Uint8Array([1, 2, 3]),
 * );
 * ```
 */
export function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
