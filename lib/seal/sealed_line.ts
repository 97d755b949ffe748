/**
 * The sealed-line format, declared once for the sealer that writes it and
 * the verifier and proofs that read it (docs/evidence.md): a sealed line
 * ends in `,"hash":"<64 lowercase hex>"}`, its canonical bytes are the line
 * with that suffix replaced by `}`, and its leaf hash is SHA-256 over
 * {@linkcode LEAF_PREFIX} and those bytes (RFC 6962; interior nodes use
 * {@linkcode NODE_PREFIX}).
 *
 * @module
 */

/**
 * The member the sealer appends to a line, up to its hex digits.
 *
 * @example
 * ```ts
 * import { HASH_MEMBER } from "./sealed_line.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(HASH_MEMBER, ',"hash":"');
 * ```
 */
export const HASH_MEMBER = ',"hash":"';

/**
 * {@linkcode HASH_MEMBER} as UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { HASH_MEMBER, HASH_MEMBER_BYTES } from "./sealed_line.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new TextDecoder().decode(HASH_MEMBER_BYTES), HASH_MEMBER);
 * ```
 */
export const HASH_MEMBER_BYTES: Uint8Array = new TextEncoder().encode(
  HASH_MEMBER,
);

/**
 * Hex digits of the hash: 32 bytes.
 *
 * @example
 * ```ts
 * import { HASH_HEX_LENGTH } from "./sealed_line.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(HASH_HEX_LENGTH, 64);
 * ```
 */
export const HASH_HEX_LENGTH = 64;

/**
 * Where the hash's hex digits start, counted back from the end of a sealed
 * line without its newline: the digits, then `"}`.
 *
 * @example
 * ```ts
 * import { HASH_HEX_FROM_END } from "./sealed_line.ts";
 * import assert from "node:assert/strict";
 *
 * const line = `{"a":1,"hash":"${"0f".repeat(32)}"}`;
 * assert.equal(line.slice(-HASH_HEX_FROM_END, -2), "0f".repeat(32));
 * ```
 */
export const HASH_HEX_FROM_END: number = HASH_HEX_LENGTH + 2;

/**
 * `,"hash":"` + 64 hex + `"}`: the bytes a sealed line ends with (before its
 * newline), in place of the canonical bytes' final `}`. A line grows by one
 * less than this when sealed.
 *
 * @example
 * ```ts
 * import { SEAL_SUFFIX } from "./sealed_line.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(SEAL_SUFFIX, ',"hash":"'.length + 64 + '"}'.length);
 * ```
 */
export const SEAL_SUFFIX: number = HASH_MEMBER.length + HASH_HEX_FROM_END;

/**
 * The byte before the canonical bytes in a leaf hash (RFC 6962).
 *
 * @example
 * ```ts
 * import { LEAF_PREFIX } from "./sealed_line.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(LEAF_PREFIX, 0);
 * ```
 */
export const LEAF_PREFIX = 0x00;

/**
 * The byte before the two children in an interior node hash (RFC 6962).
 *
 * @example
 * ```ts
 * import { NODE_PREFIX } from "./sealed_line.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(NODE_PREFIX, 1);
 * ```
 */
export const NODE_PREFIX = 0x01;

/**
 * Whether `bytes` (a line without its newline) ends in a well-formed hash
 * member: `,"hash":"`, 64 lowercase hex digits, `"}`.
 *
 * @example
 * ```ts
 * import { isSealed } from "./sealed_line.ts";
 * import assert from "node:assert/strict";
 *
 * const encode = (text: string) => new TextEncoder().encode(text);
 * assert.ok(isSealed(encode(`{"a":1,"hash":"${"0f".repeat(32)}"}`)));
 * assert.ok(!isSealed(encode(`{"a":1,"hash":"${"0F".repeat(32)}"}`)));
 * assert.ok(!isSealed(encode('{"a":1}')));
 * ```
 */
export function isSealed(bytes: Uint8Array): boolean {
  const n = bytes.length;
  if (n < SEAL_SUFFIX + 2) return false;
  if (bytes[n - 1] !== 0x7d || bytes[n - 2] !== 0x22) return false;
  const at = n - SEAL_SUFFIX;
  for (let i = 0; i < HASH_MEMBER_BYTES.length; i++) {
    if (bytes[at + i] !== HASH_MEMBER_BYTES[i]) return false;
  }
  for (let i = n - HASH_HEX_FROM_END; i < n - 2; i++) {
    const c = bytes[i];
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

const SEALED_TEXT = /,"hash":"[0-9a-f]{64}"\}$/;

/**
 * {@linkcode isSealed} for a line as text.
 *
 * @example
 * ```ts
 * import { isSealedText } from "./sealed_line.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isSealedText(`{"a":1,"hash":"${"0f".repeat(32)}"}`));
 * assert.ok(!isSealedText(`{"a":1,"hash":"${"0f".repeat(32)}"}\n`));
 * ```
 */
export function isSealedText(text: string): boolean {
  return SEALED_TEXT.test(text);
}

/**
 * The canonical text of a sealed line (without its newline): the text
 * the writer serialised, with the hash member taken off.
 *
 * @example
 * ```ts
 * import { canonicalText } from "./sealed_line.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(canonicalText(`{"a":1,"hash":"${"0f".repeat(32)}"}`), '{"a":1}');
 * ```
 */
export function canonicalText(sealed: string): string {
  return sealed.slice(0, -SEAL_SUFFIX) + "}";
}
