/**
 * `indexOf` of one byte for the line splitter: where the next line ends in
 * a chunk.
 *
 * @module
 */
import { wasmFunction } from "../util/_wasm.ts";

/** Bytes copied into the module's memory per call, at most. */
const WINDOW = 64 * 1024;
/** The first window: lines of a few KB end inside it. */
const FIRST_WINDOW = 4096;

/**
 * `bytes.indexOf(byte, from)`, found 16 bytes at a time.
 *
 * Fast path: `Uint8Array.prototype.indexOf` walks about 1.5-3 GB/s here,
 * while copying a window of the bytes into a WebAssembly memory and
 * comparing 16 at a time with SIMD runs over 10 GB/s; a line that spans
 * reads (1 MB and more) is searched this way in every chunk. The first
 * window is 4 KiB so that a short line does not pay for copying 64 KiB.
 * Checked against `indexOf` in tests/wire/find_byte_test.ts, with the byte
 * at every offset around the window edges.
 *
 * @example
 * ```ts
 * import { findByte } from "./_find_byte.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array(100_000);
 * bytes[70_000] = 10;
 * assert.equal(findByte(bytes, 10, 0), 70_000);
 * assert.equal(findByte(bytes, 10, 70_001), -1);
 * ```
 */
export function findByte(
  bytes: Uint8Array,
  byte: number,
  from: number,
): number {
  if (bytes.length - from < 64) return bytes.indexOf(byte, from);
  const scan = finder();
  let pos = from;
  let window = FIRST_WINDOW;
  while (pos < bytes.length) {
    const n = Math.min(window, bytes.length - pos);
    scan.memory.set(bytes.subarray(pos, pos + n));
    const r = scan.find(n, byte);
    if (r >= 0) return pos + r;
    pos += n;
    window = WINDOW;
  }
  return -1;
}

interface Finder {
  memory: Uint8Array;
  /** The index of the first `byte` in memory[0, n), or -1. */
  find(n: number, byte: number): number;
}

let instance: Finder | undefined;

function finder(): Finder {
  if (instance) return instance;
  const { f, memory } = wasmFunction({
    params: 2,
    i32Locals: 2,
    v128Locals: 1,
    code: code(),
    pages: (WINDOW + 16) / 65536 + 1,
  });
  instance = { memory, find: f };
  return instance;
}

/** `find(n, byte)`: params 0 (n), 1 (byte); locals 2 (i), 3 (m), 4 (the byte in 16 lanes). */
function code(): number[] {
  const get = (l: number): number[] => [0x20, l];
  const set = (l: number): number[] => [0x21, l];
  const tee = (l: number): number[] => [0x22, l];
  // deno-fmt-ignore
  return [
    ...get(1), 0xfd, 0x0f, ...set(4), // i8x16.splat
    0x02, 0x40, // block $tail
    0x03, 0x40, // loop $vec
    ...get(2), 0x41, 16, 0x6a, ...get(0), 0x4b, 0x0d, 1, // i + 16 > n: br_if $tail
    ...get(2), 0xfd, 0x00, 0, 0, ...get(4), 0xfd, 0x23, 0xfd, 0x64, ...tee(3), // load, eq, bitmask
    0x04, 0x40, ...get(2), ...get(3), 0x68, 0x6a, 0x0f, 0x0b, // m != 0: return i + ctz(m)
    ...get(2), 0x41, 16, 0x6a, ...set(2), 0x0c, 0, // i += 16, br $vec
    0x0b, 0x0b, // end loop, end block
    0x03, 0x40, // loop $scalar
    ...get(2), ...get(0), 0x4f, 0x04, 0x40, 0x41, 0x7f, 0x0f, 0x0b, // i >= n: return -1
    ...get(2), 0x2d, 0, 0, ...get(1), 0x46, 0x04, 0x40, ...get(2), 0x0f, 0x0b, // return i
    ...get(2), 0x41, 1, 0x6a, ...set(2), 0x0c, 0, 0x0b, // i++, br $scalar, end loop
    0x00, 0x0b, // unreachable, end
  ];
}
