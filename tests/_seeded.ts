/**
 * A seeded PRNG (mulberry32), shared by the test fixtures and the
 * benchmarks, so generated data and failures reproduce.
 *
 * @module
 */

/**
 * A generator of numbers in [0, 1), the same sequence for the same seed.
 *
 * @example
 * ```ts
 * import { seeded } from "./_seeded.ts";
 * import assert from "node:assert/strict";
 *
 * const [a, b] = [seeded(42), seeded(42)];
 * assert.equal(a(), b());
 * ```
 */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return function next(): number {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One of `items`, chosen by `rand`. */
export function pick<T>(rand: () => number, items: ArrayLike<T>): T {
  return items[Math.floor(rand() * items.length)];
}

/** Up to `maxLength - 1` characters drawn from `alphabet` by `rand`. */
export function randomText(
  rand: () => number,
  alphabet: string,
  maxLength: number,
): string {
  let text = "";
  for (let i = Math.floor(rand() * maxLength); i > 0; i--) {
    text += pick(rand, alphabet);
  }
  return text;
}
