/**
 * Lowercase hex for hashes, both ways: hashes are written as hex in the log
 * and read back from it by the sealer, the verifier and proofs.
 *
 * @module
 */

const PAIRS = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

/**
 * Lowercase hex of `bytes`.
 *
 * @example
 * ```ts
 * import { hex } from "./_hex.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hex(new Uint8Array([0, 255])), "00ff");
 * ```
 */
export function hex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += PAIRS[bytes[i]];
  return out;
}

/**
 * Decodes the lowercase hex digits of `text` (twice `out.length` of them,
 * not checked) into `out`.
 *
 * @example
 * ```ts
 * import { hexInto } from "./_hex.ts";
 * import assert from "node:assert/strict";
 *
 * const out = new Uint8Array(2);
 * hexInto("00ff", out);
 * assert.deepEqual(out, new Uint8Array([0, 255]));
 * ```
 */
export function hexInto(text: string, out: Uint8Array): void {
  for (let i = 0; i < out.length; i++) {
    out[i] = (nibble(text.charCodeAt(2 * i)) << 4) |
      nibble(text.charCodeAt(2 * i + 1));
  }
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
