/**
 * Hashes as lowercase hex digits inside a log line's bytes: the sealer
 * writes them into the line it builds, the verifier compares and reads
 * them in the line it was given. Hex as a string uses the built-ins
 * (`Uint8Array.prototype.toHex`, `setFromHex`, `Uint8Array.fromHex`); these
 * work on the bytes in place, where a string would have to be made first,
 * which costs more than the 32-step loops.
 *
 * @module
 */

const DIGITS = new TextEncoder().encode("0123456789abcdef");

/**
 * Writes the 64 lowercase hex digits of the 32 bytes of `hash` into `out`
 * at `at`, as ASCII; returns the end.
 *
 * @example
 * ```ts
 * import { writeHex } from "./_hex.ts";
 * import assert from "node:assert/strict";
 *
 * const out = new Uint8Array(66);
 * assert.equal(writeHex(new Uint8Array(32).fill(0xa5), out, 1), 65);
 * assert.equal(new TextDecoder().decode(out.subarray(1, 65)), "a5".repeat(32));
 * ```
 */
export function writeHex(
  hash: Uint8Array,
  out: Uint8Array,
  at: number,
): number {
  let p = at;
  for (let i = 0; i < 32; i++) {
    out[p++] = DIGITS[hash[i] >> 4];
    out[p++] = DIGITS[hash[i] & 15];
  }
  return p;
}

/**
 * Whether the 64 bytes of `buf` from `at` are the lowercase hex digits of
 * the 32 bytes of `hash`.
 *
 * @example
 * ```ts
 * import { matchesHex } from "./_hex.ts";
 * import assert from "node:assert/strict";
 *
 * const ascii = new TextEncoder().encode("x" + "0f".repeat(32));
 * assert.ok(matchesHex(ascii, 1, new Uint8Array(32).fill(15)));
 * assert.ok(!matchesHex(ascii, 1, new Uint8Array(32).fill(16)));
 * ```
 */
export function matchesHex(
  buf: Uint8Array,
  at: number,
  hash: Uint8Array,
): boolean {
  for (let i = 0; i < 32; i++) {
    const b = hash[i];
    if (
      buf[at + 2 * i] !== DIGITS[b >>> 4] ||
      buf[at + 2 * i + 1] !== DIGITS[b & 15]
    ) {
      return false;
    }
  }
  return true;
}

/**
 * Decodes 64 lowercase hex digits written as ASCII bytes from `at` (not
 * checked) into a new 32-byte hash.
 *
 * @example
 * ```ts
 * import { hashFromAscii } from "./_hex.ts";
 * import assert from "node:assert/strict";
 *
 * const ascii = new TextEncoder().encode("x" + "0f".repeat(32));
 * assert.deepEqual(hashFromAscii(ascii, 1), new Uint8Array(32).fill(15));
 * ```
 */
export function hashFromAscii(bytes: Uint8Array, at: number): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = (nibble(bytes[at + 2 * i]) << 4) | nibble(bytes[at + 2 * i + 1]);
  }
  return out;
}

/** The value of one lowercase hex digit's character code. */
function nibble(c: number): number {
  return c <= 0x39 ? c - 0x30 : c - 0x57;
}
