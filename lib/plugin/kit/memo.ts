/**
 * Bounded memory of a function's answers, for what plugins decide by a
 * name or path that comes back in every event (a tool's rules, a key's
 * entity type, a path's secrecy).
 *
 * @module
 */

/**
 * `compute`, remembering its answer for each key. The keys come from the
 * traffic, so at most `max` are kept: past that, all are forgotten at once
 * and learnt again.
 *
 * @example
 * ```ts
 * import { memoize } from "./memo.ts";
 * import assert from "node:assert/strict";
 *
 * let calls = 0;
 * const length = memoize((key: string) => (calls++, key.length), 2);
 * assert.equal(length("abc"), 3);
 * assert.equal(length("abc"), 3);
 * assert.equal(calls, 1);
 * length("d");
 * length("ef"); // A third key: the first two are forgotten.
 * length("abc");
 * assert.equal(calls, 4);
 * ```
 */
export function memoize<V>(
  compute: (key: string) => V,
  max = 1024,
): (key: string) => V {
  const known = new Map<string, V>();
  return (key: string): V => {
    let value = known.get(key);
    if (value === undefined && !known.has(key)) {
      value = compute(key);
      if (known.size >= max) known.clear();
      known.set(key, value);
    }
    return value as V;
  };
}
