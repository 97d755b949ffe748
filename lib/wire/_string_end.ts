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
 * is walked 16 bytes at a time by a small WebAssembly SIMD loop (assembled
 * here at load, no binary shipped) over 64 KiB windows of it, since an
 * `indexOf` per quote cost more than the hash of the frame; an escape cut
 * by a window's end carries into the next. Checked against a byte-by-byte
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
  const q = bytes.indexOf(QUOTE, i + 1);
  if (q < 0) return -1;
  if (bytes[q - 1] !== BACKSLASH) return q + 1;
  if (bytes.length - i < SIMD_FROM) return scalarEnd(bytes, i);
  const scan = scanner();
  let pos = i + 1;
  let escaped = 0;
  while (pos < bytes.length) {
    const n = Math.min(WINDOW, bytes.length - pos);
    scan.memory.set(bytes.subarray(pos, pos + n));
    const r = scan.end(n, escaped);
    if (r >= 0) return pos + r + 1;
    escaped = r === -2 ? 1 : 0;
    pos += n;
  }
  return -1;
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
    i32Locals: 3,
    v128Locals: 1,
    code: code(),
    pages: (WINDOW + 16) / 65536 + 1,
  });
  instance = { memory, end: f };
  return instance;
}

/** `end(n, escaped)`: params 0 (n), 1 (escaped); locals 2 (i), 3 (m: the quotes and backslashes of 16 bytes), 4 (t), 5 (v: v128). */
function code(): number[] {
  const splat = (b: number): number[] => [0xfd, 0x0c, ...new Array(16).fill(b)];
  const get = (l: number): number[] => [0x20, l];
  const set = (l: number): number[] => [0x21, l];
  const tee = (l: number): number[] => [0x22, l];
  const BACKSLASH_LEB = [0xdc, 0x00]; // 0x5c as a signed LEB128
  // deno-fmt-ignore
  const code = [
    ...get(1), ...set(2), // i = escaped (skips an escaped first byte)
    0x02, 0x40, // block $tail
    0x03, 0x40, // loop $vec
    ...get(2), 0x41, 16, 0x6a, ...get(0), 0x4b, 0x0d, 1, // i + 16 > n: br_if $tail
    ...get(2), 0xfd, 0x00, 0, 0, ...tee(5), ...splat(QUOTE), 0xfd, 0x23, // v128.load, i8x16.eq
    ...get(5), ...splat(BACKSLASH), 0xfd, 0x23,
    0xfd, 0x50, 0xfd, 0x64, ...set(3), // v128.or, i8x16.bitmask
    0x02, 0x40, // block $next
    0x03, 0x40, // loop $bits
    ...get(3), 0x45, 0x0d, 1, // m == 0: br_if $next
    ...get(3), 0x68, ...set(4), // t = ctz(m)
    ...get(2), ...get(4), 0x6a, 0x2d, 0, 0, 0x41, QUOTE, 0x46, // load8_u(i + t) == '"'
    0x04, 0x40, ...get(2), ...get(4), 0x6a, 0x0f, 0x0b, // return i + t
    // A backslash: the byte after it is escaped. In the next 16: go on from there.
    ...get(4), 0x41, 15, 0x46,
    0x04, 0x40, ...get(2), ...get(4), 0x6a, 0x41, 2, 0x6a, ...set(2), 0x0c, 3, 0x0b,
    ...get(3), 0x41, 0x7f, ...get(4), 0x41, 2, 0x6a, 0x74, 0x71, ...set(3), // m &= -1 << (t + 2)
    0x0c, 0, // br $bits
    0x0b, 0x0b, // end loop $bits, end block $next
    ...get(2), 0x41, 16, 0x6a, ...set(2), 0x0c, 0, // i += 16, br $vec
    0x0b, 0x0b, // end loop $vec, end block $tail
    // The last bytes of the window, one at a time.
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
