/**
 * Payload size limits for the log: hashing and bounded previews. A payload
 * too large to log whole is replaced by its byte length, SHA-256 and the
 * first characters of its JSON text.
 *
 * @module
 */
import { createHash } from "node:crypto";

/**
 * A payload too large to log whole: its size and SHA-256 are kept so the
 * original can still be matched, with the first characters as a preview.
 */
export interface Truncated {
  /** Marks the payload as truncated. */
  $truncated: true;
  /** Byte length of the payload's JSON text. */
  bytes: number;
  /** Hex SHA-256 of the payload's JSON text (or of the whole frame for frames too large to parse). */
  sha256: string;
  /** The first characters of the payload's JSON text. */
  preview: string;
}

/**
 * Hex SHA-256 of bytes or of a string's UTF-8 encoding.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./payload.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
 * ```
 */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * The first `maxChars` characters of `JSON.stringify(value)`, computed
 * without serialising the whole value.
 *
 * @example
 * ```ts
 * import { jsonPreview } from "./payload.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(jsonPreview({ a: "x".repeat(100) }, 10), '{"a":"xxxx');
 * ```
 */
export function jsonPreview(value: unknown, maxChars: number): string {
  const out: string[] = [];
  let used = 0;
  const put = (s: string): boolean => {
    if (used >= maxChars) return false;
    const take = s.length > maxChars - used ? s.slice(0, maxChars - used) : s;
    out.push(take);
    used += take.length;
    return used < maxChars;
  };
  const walk = (v: unknown): boolean => {
    if (v === null || typeof v !== "object") {
      return put(JSON.stringify(v) ?? "null");
    }
    if (Array.isArray(v)) {
      if (!put("[")) return false;
      for (let i = 0; i < v.length; i++) {
        if (i > 0 && !put(",")) return false;
        if (!walk(v[i] === undefined ? null : v[i])) return false;
      }
      return put("]");
    }
    if (!put("{")) return false;
    let first = true;
    for (const [k, item] of Object.entries(v)) {
      if (item === undefined) continue;
      if (!first && !put(",")) return false;
      first = false;
      if (!put(JSON.stringify(k) + ":")) return false;
      if (!walk(item)) return false;
    }
    return put("}");
  };
  walk(value);
  return out.join("");
}

/**
 * A {@linkcode Truncated} stand-in for a payload.
 *
 * @example
 * ```ts
 * import { truncated } from "./payload.ts";
 * import assert from "node:assert/strict";
 *
 * const t = truncated({ big: "x".repeat(10) }, new TextEncoder().encode("..."), 5);
 * assert.equal(t.$truncated, true);
 * assert.equal(t.bytes, 3);
 * assert.equal(t.preview, '{"big');
 * ```
 */
export function truncated(
  value: unknown,
  wire: Uint8Array | { length: number; sha256: string },
  previewChars: number,
): Truncated {
  const bytes = wire instanceof Uint8Array ? wire.length : wire.length;
  const sha256 = wire instanceof Uint8Array ? sha256Hex(wire) : wire.sha256;
  return {
    $truncated: true,
    bytes,
    sha256,
    preview: jsonPreview(value, previewChars),
  };
}
