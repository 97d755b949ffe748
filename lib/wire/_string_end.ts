/**
 * The end of a JSON string in a frame's bytes, for the skim of large
 * frames: the one place where the audit of a large message looks at every
 * byte of it.
 *
 * @module
 */

import { wasmFunction } from "../util/_wasm.ts";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Strings longer than this (after an escaped quote) are scanned in WebAssembly. */
const SIMD_FROM = 1024;
/** Bytes copied into the module's memory per call. */
const WINDOW = 64 * 1024;

/**
 * The index after the closing quote of the string whose opening quote is
 * at `i`, or -1 when the bytes end first.
 *
 * Fast path: text whose first quote is not escaped (keys, short values,
 * base64) ends there, found by one `indexOf`. A string with escaped quotes
 * is walked 64 bytes at a time by a small WebAssembly SIMD loop (assembled
 * here at load, no binary shipped) over 64 KiB windows of it, since an
 * `indexOf` per quote cost more than the hash of the frame; the bytes that
 * runs of backslashes escape are found for a whole block at once (see
 * `code`), and an escape cut by a block's or a window's end carries into
 * the next. Checked against a byte-by-byte
 * scan in tests/wire/string_end_test.ts, with escapes across windows.
 *
 * @example
 * ```ts
 * import { stringEnd } from "./_string_end.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode('"a \\"b\\" \\\\"x');
 * assert.equal(stringEnd(bytes, 0), 12);
 * assert.equal(stringEnd(bytes.subarray(0, 11), 0), -1);
 * ```
 */
export function stringEnd(bytes: Uint8Array, i: number): number {
  const r = stringScan(bytes, i + 1, false);
  return r >= 0 ? r : -1;
}

/**
 * {@linkcode stringEnd} resumable over bytes that arrive in pieces: scans
 * `bytes[pos, bytes.length)`, the inside of a string whose bytes before
 * `pos` have been scanned already (`escaped` when the last of them was a
 * backslash that escapes `bytes[pos]`). Returns the index after the
 * closing quote; or, when the bytes end first, -1, or -2 when they end
 * inside an escape (resume there with `escaped`). The skim of a frame as
 * it is gathered (`FrameSkim`) resumes it at each new piece.
 *
 * @example
 * ```ts
 * import { stringScan } from "./_string_end.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode('"a \\"b\\" \\\\"x');
 * assert.equal(stringScan(bytes.subarray(0, 4), 1, false), -2);
 * assert.equal(stringScan(bytes, 4, true), 12);
 * ```
 */
export function stringScan(
  bytes: Uint8Array,
  pos: number,
  escaped: boolean,
): number {
  const n = bytes.length;
  if (!escaped) {
    const q = bytes.indexOf(QUOTE, pos);
    if (q < 0) return trailingEscape(bytes, pos, false);
    if (q === pos || bytes[q - 1] !== BACKSLASH) return q + 1;
  }
  if (n - pos < SIMD_FROM) return scalarScan(bytes, pos, escaped);
  const scan = scanner();
  let carry = escaped ? 1 : 0;
  while (pos < n) {
    const w = Math.min(WINDOW, n - pos);
    scan.memory.set(bytes.subarray(pos, pos + w));
    const r = scan.end(w, carry);
    if (r >= 0) return pos + r + 1;
    carry = r === -2 ? 1 : 0;
    pos += w;
  }
  return carry ? -2 : -1;
}

/** No quote in `bytes[pos, n)`: -2 when its trailing backslashes leave an escape open, else -1. */
function trailingEscape(
  bytes: Uint8Array,
  pos: number,
  escaped: boolean,
): number {
  let k = bytes.length;
  while (k > pos && bytes[k - 1] === BACKSLASH) k--;
  let run = bytes.length - k;
  if (k === pos && escaped) run++;
  return run % 2 === 1 ? -2 : -1;
}

function scalarScan(bytes: Uint8Array, pos: number, escaped: boolean): number {
  let k = pos;
  if (escaped) k++;
  for (; k < bytes.length; k++) {
    const b = bytes[k];
    if (b === QUOTE) return k + 1;
    if (b === BACKSLASH) k++;
  }
  return k > bytes.length ? -2 : -1;
}

/**
 * The same, one byte at a time (short strings, and the reference in tests).
 *
 * @example
 * ```ts
 * import { scalarEnd } from "./_string_end.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(scalarEnd(new TextEncoder().encode('"a\\\\"b'), 0), 5);
 * ```
 */
export function scalarEnd(bytes: Uint8Array, i: number): number {
  for (let k = i + 1; k < bytes.length; k++) {
    const b = bytes[k];
    if (b === QUOTE) return k + 1;
    if (b === BACKSLASH) k++;
  }
  return -1;
}

interface Scanner {
  memory: Uint8Array;
  /** The index of the first unescaped quote in memory[0, n), or -1, or -2 when the window ends inside an escape. */
  end(n: number, escaped: number): number;
}

let instance: Scanner | undefined;

function scanner(): Scanner {
  if (instance) return instance;
  const { f, memory } = wasmFunction({
    params: 2,
    i32Locals: 2,
    i64Locals: 5,
    v128Locals: 1,
    code: code(),
    pages: (WINDOW + 64) / 65536 + 1,
  });
  instance = { memory, end: f };
  return instance;
}

/** A signed LEB128 of a 64-bit value. */
function sleb(value: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asIntN(64, value);
  while (true) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40))) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/**
 * `end(n, escaped)`, 64 bytes at a time: the quotes and backslashes of a
 * block as two 64-bit masks, and which bytes are escaped by an odd run of
 * backslashes found with one subtraction (simdjson's escape scanner: the
 * run's carry ripples to the byte after it), so a block costs the same
 * however many escapes it holds. Params 0 (n), 1 (escaped); locals 2 (i),
 * 3 (t), 4 (q: quotes), 5 (b: backslashes), 6 (c: the next block's first
 * byte is escaped), 7 (p), 8 (x), 9 (v: v128).
 */
function code(): number[] {
  const splat = (b: number): number[] => [0xfd, 0x0c, ...new Array(16).fill(b)];
  const get = (l: number): number[] => [0x20, l];
  const set = (l: number): number[] => [0x21, l];
  const tee = (l: number): number[] => [0x22, l];
  const i64 = (v: bigint): number[] => [0x42, ...sleb(v)];
  const ODD = i64(0xaaaaaaaaaaaaaaaan);
  const BACKSLASH_LEB = [0xdc, 0x00]; // 0x5c as a signed LEB128
  // mask |= (i64) bitmask(v == byte) << shift, for the 16 bytes in v.
  const gather = (byte: number, mask: number, shift: number): number[] => [
    ...get(mask),
    ...get(9),
    ...splat(byte),
    0xfd,
    0x23,
    0xfd,
    0x64,
    0xad,
    ...i64(BigInt(shift)),
    0x86,
    0x84,
    ...set(mask),
  ];
  const masks: number[] = [];
  for (let k = 0; k < 4; k++) {
    masks.push(
      ...get(2),
      0xfd,
      0x00,
      0,
      16 * k,
      ...set(9), // v = v128.load(i + 16k)
      ...gather(QUOTE, 4, 16 * k),
      ...gather(BACKSLASH, 5, 16 * k),
    );
  }
  // deno-fmt-ignore
  const code = [
    ...get(1), 0xad, ...set(6), // c = escaped
    0x02, 0x40, // block $tail
    0x03, 0x40, // loop $vec
    ...get(2), 0x41, 0xc0, 0x00, 0x6a, ...get(0), 0x4b, 0x0d, 1, // i + 64 > n: br_if $tail
    ...i64(0n), ...set(4), ...i64(0n), ...set(5),
    ...masks,
    ...get(5), ...get(6), ...i64(-1n), 0x85, 0x83, ...set(7), // p = b & ~c
    ...get(7), ...i64(1n), 0x86, ...ODD, 0x84, ...get(7), 0x7d, // ((p << 1) | ODD) - p
    ...ODD, 0x85, ...set(8), // x = that ^ ODD: escapes and the bytes they escape
    ...get(4), ...get(8), ...get(5), ...get(6), 0x84, 0x85, // escaped = x ^ (b | c)
    ...i64(-1n), 0x85, 0x83, ...set(4), // q &= ~escaped
    ...get(8), ...get(5), 0x83, ...i64(63n), 0x88, ...set(6), // c = (x & b) >> 63
    ...get(4), 0x50, 0x45, // q != 0
    0x04, 0x40, ...get(2), ...get(4), 0x7a, 0xa7, 0x6a, 0x0f, 0x0b, // return i + ctz(q)
    ...get(2), 0x41, 0xc0, 0x00, 0x6a, ...set(2), 0x0c, 0, // i += 64, br $vec
    0x0b, 0x0b, // end loop $vec, end block $tail
    // The last bytes of the window, one at a time.
    ...get(2), ...get(6), 0xa7, 0x6a, ...set(2), // i += c (an escaped first byte)
    0x03, 0x40, // loop $scalar
    ...get(2), ...get(0), 0x4f, // i >= n: return i == n ? -1 : -2
    0x04, 0x40, 0x41, 0x7f, 0x41, 0x7e, ...get(2), ...get(0), 0x46, 0x1b, 0x0f, 0x0b,
    ...get(2), 0x2d, 0, 0, ...tee(3), 0x41, QUOTE, 0x46,
    0x04, 0x40, ...get(2), 0x0f, 0x0b, // return i
    ...get(2), 0x41, 2, 0x41, 1, ...get(3), 0x41, ...BACKSLASH_LEB, 0x46, 0x1b, 0x6a, ...set(2), // i += b == '\\' ? 2 : 1
    0x0c, 0, 0x0b, // br $scalar, end loop
    0x00, 0x0b, // unreachable, end
  ];
  return code;
}
