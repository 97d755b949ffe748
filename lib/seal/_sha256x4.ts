/**
 * SHA-256 of four messages at once, for leaf hashes (the sealer's and the
 * verifier's) and Merkle nodes: the lines of a log are independent until
 * they are chained, so four can go
 * through one WebAssembly SIMD compression (one 32-bit lane each). The
 * module is assembled here, at load, from the rounds of FIPS 180-4: no
 * binary is shipped, and the bundle needs nothing beside itself. Checked
 * against `node:crypto` in the tests.
 *
 * @module
 */

import { functionModule, leb, sleb } from "../util/_wasm.ts";
import { INIT as IV, K, pad } from "./_sha256.ts";

/** The longest message (after padding) a lane holds. */
export const LANE_BYTES = 16 * 1024 + 128;

/**
 * Four SHA-256 lanes over one WebAssembly memory. Write each message with
 * {@linkcode Sha256x4.set}, then {@linkcode Sha256x4.hash}; the digests are
 * then in {@linkcode Sha256x4.digests}, 32 bytes per lane.
 *
 * @example
 * ```ts
 * import { Sha256x4 } from "./_sha256x4.ts";
 * import { createHash } from "node:crypto";
 * import assert from "node:assert/strict";
 *
 * const x4 = new Sha256x4();
 * const messages = ["abc", "", "x".repeat(100), "y".repeat(1000)];
 * messages.forEach((m, i) => x4.set(i, new TextEncoder().encode(m)));
 * x4.hash(4);
 * messages.forEach((m, i) => {
 *   const expected = createHash("sha256").update(m).digest("hex");
 *   assert.equal(Buffer.from(x4.digests.subarray(32 * i, 32 * i + 32)).toString("hex"), expected);
 * });
 * ```
 */
export class Sha256x4 {
  /** The bytes of lane `i` start at `i * LANE_BYTES`. */
  readonly memory: Uint8Array;
  /** The digests of the last {@linkcode Sha256x4.hash}, 32 bytes per lane. */
  readonly digests: Uint8Array;
  #blocks = new Int32Array(4);
  #hash4: (n0: number, n1: number, n2: number, n3: number) => void;

  /** Assembles and instantiates the module. */
  constructor() {
    const instance = new WebAssembly.Instance(module());
    const exports = instance.exports as {
      memory: WebAssembly.Memory;
      hash4: (n0: number, n1: number, n2: number, n3: number) => void;
    };
    this.memory = new Uint8Array(exports.memory.buffer);
    this.digests = this.memory.subarray(4 * LANE_BYTES, 4 * LANE_BYTES + 128);
    this.#hash4 = exports.hash4;
  }

  /**
   * Pads the message of `length` bytes already written at the start of lane
   * `i` (at most `LANE_BYTES - 72`).
   */
  pad(i: number, length: number): void {
    this.#blocks[i] = pad(this.memory, i * LANE_BYTES, length) / 64;
  }

  /** Writes `message` into lane `i` and pads it. */
  set(i: number, message: Uint8Array): void {
    this.memory.set(message, i * LANE_BYTES);
    this.pad(i, message.length);
  }

  /** Hashes lanes `0` to `count - 1` into {@linkcode Sha256x4.digests}. */
  hash(count: number): void {
    const b = this.#blocks;
    this.#hash4(
      b[0],
      count > 1 ? b[1] : 0,
      count > 2 ? b[2] : 0,
      count > 3 ? b[3] : 0,
    );
  }
}

let compiled: WebAssembly.Module | undefined;

function module(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(assemble());
  return compiled;
}

// WebAssembly opcodes used below.
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const SIMD = 0xfd;

/** The module: memory, and `hash4(blocks0, blocks1, blocks2, blocks3)`. */
function assemble(): Uint8Array<ArrayBuffer> {
  const code: number[] = [];
  // Parameters 0-3: block counts. Then i32 locals, then v128 locals.
  const k = 4, p = 5, max = 6; // block index, lane 0 pointer, most blocks
  const I32_LOCALS = 3;
  let next = 4 + I32_LOCALS;
  const v = (): number => next++;
  const counts = v();
  const s = Array.from({ length: 8 }, v); // state a..h
  const saved = Array.from({ length: 8 }, v);
  const w = Array.from({ length: 16 }, v);
  const r = Array.from({ length: 16 }, v);
  const t = Array.from({ length: 4 }, v);
  const t1 = v(), t2 = v();
  const V128_LOCALS = next - 4 - I32_LOCALS;

  const emit = (...bytes: number[]): void => {
    for (const b of bytes) code.push(b);
  };
  const get = (i: number): void => emit(LOCAL_GET, ...leb(i));
  const set = (i: number): void => emit(LOCAL_SET, ...leb(i));
  const i32 = (n: number): void => emit(I32_CONST, ...sleb(n | 0));
  const simd = (op: number): void => emit(SIMD, ...leb(op));
  const add = (): void => simd(0xae); // i32x4.add
  const xor = (): void => simd(0x51);
  const or = (): void => simd(0x50);
  const bitselect = (): void => simd(0x52);
  const splat = (n: number): void => {
    simd(0x0c); // v128.const
    for (let j = 0; j < 4; j++) {
      emit(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
    }
  };
  const shuffle = (lanes: number[]): void => {
    simd(0x0d);
    for (const lane of lanes) {
      emit(4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3);
    }
  };
  const bswap = (): void => {
    simd(0x0c);
    for (let j = 0; j < 4; j++) emit(4 * j + 3, 4 * j + 2, 4 * j + 1, 4 * j);
    simd(0x0e); // i8x16.swizzle
  };
  /** Pushes rotr(x, n). */
  const rotr = (x: number, n: number): void => {
    get(x);
    i32(n);
    simd(0xad); // i32x4.shr_u
    get(x);
    i32(32 - n);
    simd(0xab); // i32x4.shl
    or();
  };
  const shr = (x: number, n: number): void => {
    get(x);
    i32(n);
    simd(0xad);
  };
  /** Rows `a` to `d` (4 x i32 each) into columns `out`. */
  const transpose = (rows: number[], out: number[]): void => {
    const [a, b, c, d] = rows;
    get(a), get(b), shuffle([0, 4, 1, 5]), set(t[0]);
    get(a), get(b), shuffle([2, 6, 3, 7]), set(t[1]);
    get(c), get(d), shuffle([0, 4, 1, 5]), set(t[2]);
    get(c), get(d), shuffle([2, 6, 3, 7]), set(t[3]);
    get(t[0]), get(t[2]), shuffle([0, 1, 4, 5]), set(out[0]);
    get(t[0]), get(t[2]), shuffle([2, 3, 6, 7]), set(out[1]);
    get(t[1]), get(t[3]), shuffle([0, 1, 4, 5]), set(out[2]);
    get(t[1]), get(t[3]), shuffle([2, 3, 6, 7]), set(out[3]);
  };

  // counts = (n0, n1, n2, n3); max = the largest.
  get(0), simd(0x11), get(1), simd(0x1c), emit(1), get(2), simd(0x1c), emit(2);
  get(3), simd(0x1c), emit(3), set(counts);
  for (let i = 0; i < 4; i++) {
    get(i), get(max), get(i), get(max), emit(0x4b), emit(0x1b), set(max); // i32.gt_u, select
  }
  for (let i = 0; i < 8; i++) splat(IV[i]), set(s[i]);
  emit(0x02, 0x40, 0x03, 0x40); // block, loop
  get(k), get(max), emit(0x4f), emit(0x0d, 1); // k >= max: br_if 1
  for (let i = 0; i < 8; i++) get(s[i]), set(saved[i]);
  // The 16 words of block k of each lane, big-endian, transposed to lanes.
  for (let lane = 0; lane < 4; lane++) {
    for (let q = 0; q < 4; q++) {
      get(p), simd(0x00), emit(0, ...leb(lane * LANE_BYTES + 16 * q)); // v128.load
      bswap();
      set(r[4 * q + lane]);
    }
  }
  for (let q = 0; q < 4; q++) {
    transpose(r.slice(4 * q, 4 * q + 4), w.slice(4 * q, 4 * q + 4));
  }
  for (let i = 0; i < 64; i++) {
    const [a, b, c, d, e, f, g, h] = [0, 1, 2, 3, 4, 5, 6, 7].map((j) =>
      s[(j - i + 64) % 8]
    );
    const wi = w[i % 16];
    if (i >= 16) {
      // w[i] = σ1(w[i-2]) + w[i-7] + σ0(w[i-15]) + w[i-16]
      const u = w[(i - 2) % 16], x = w[(i - 15) % 16];
      rotr(u, 17), rotr(u, 19), xor(), shr(u, 10), xor();
      get(w[(i - 7) % 16]), add();
      rotr(x, 7), rotr(x, 18), xor(), shr(x, 3), xor(), add();
      get(wi), add(), set(wi);
    }
    // t1 = h + Σ1(e) + Ch(e, f, g) + K[i] + w[i]
    get(h);
    rotr(e, 6), rotr(e, 11), xor(), rotr(e, 25), xor(), add();
    get(f), get(g), get(e), bitselect(), add();
    splat(K[i]), add(), get(wi), add(), set(t1);
    // t2 = Σ0(a) + Maj(a, b, c)
    rotr(a, 2), rotr(a, 13), xor(), rotr(a, 22), xor();
    get(b), get(a), get(a), get(c), xor(), bitselect(), add(), set(t2);
    get(d), get(t1), add(), set(d);
    get(t1), get(t2), add(), set(h);
  }
  // Lanes past their last block keep their state.
  for (let i = 0; i < 8; i++) {
    get(s[i]), get(saved[i]), add();
    get(saved[i]);
    get(counts), get(k), simd(0x11), simd(0x3b); // i32x4.gt_s(counts, splat(k))
    bitselect(), set(s[i]);
  }
  get(p), i32(64), emit(0x6a), set(p);
  get(k), i32(1), emit(0x6a), set(k);
  emit(0x0c, 0, 0x0b, 0x0b); // br 0, end loop, end block
  // Digests: lane i at 4 * LANE_BYTES + 32 i, big-endian.
  transpose(s.slice(0, 4), r.slice(0, 4));
  transpose(s.slice(4, 8), r.slice(4, 8));
  for (let lane = 0; lane < 4; lane++) {
    for (let half = 0; half < 2; half++) {
      i32(0), get(r[4 * half + lane]), bswap();
      simd(0x0b), emit(0, ...leb(4 * LANE_BYTES + 32 * lane + 16 * half)); // v128.store
    }
  }
  emit(0x0b);

  const body = [
    ...leb(2),
    ...leb(I32_LOCALS),
    0x7f,
    ...leb(V128_LOCALS),
    0x7b,
    ...code,
  ];
  const pages = Math.ceil((4 * LANE_BYTES + 128) / 65536);
  return functionModule({ name: "hash4", params: 4, results: 0, pages, body });
}
