/**
 * SHA-256 in plain TypeScript for the verifier's hot loop. Each call to
 * `node:crypto` or Web Crypto costs microseconds of overhead whatever the
 * input size, which for log lines of a few hundred bytes is most of the
 * time; hashing in JS over one reused buffer avoids it. FIPS 180-4; checked
 * against `node:crypto` in the tests.
 *
 * @module
 */

/** The round constants of FIPS 180-4 (4.2.2). */
export const K: Uint32Array = new Uint32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

/** The initial hash value of FIPS 180-4 (5.3.3). */
export const INIT: Int32Array = new Int32Array([
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
]);

const w = new Int32Array(64);
const v = new Int32Array(8);

function blocks(p: Uint8Array, pos: number, end: number): void {
  const k = K;
  let h0 = v[0], h1 = v[1], h2 = v[2], h3 = v[3];
  let h4 = v[4], h5 = v[5], h6 = v[6], h7 = v[7];
  while (end - pos >= 64) {
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i = 0; i < 64; i++) {
      let wi;
      if (i < 16) {
        const j = pos + (i << 2);
        wi = (p[j] << 24) | (p[j + 1] << 16) | (p[j + 2] << 8) | p[j + 3];
      } else {
        const u = w[i - 2], x = w[i - 15];
        wi = ((((u >>> 17) | (u << 15)) ^ ((u >>> 19) | (u << 13)) ^
          (u >>> 10)) +
          w[i - 7] +
          (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
          w[i - 16]) | 0;
      }
      w[i] = wi;
      const t1 = (h +
        (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^
          ((e >>> 25) | (e << 7))) +
        (g ^ (e & (f ^ g))) + k[i] + wi) | 0;
      const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^
        ((a >>> 22) | (a << 10))) + ((a & b) ^ (c & (a ^ b)))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
    pos += 64;
  }
  v[0] = h0;
  v[1] = h1;
  v[2] = h2;
  v[3] = h3;
  v[4] = h4;
  v[5] = h5;
  v[6] = h6;
  v[7] = h7;
}

/**
 * Writes SHA-256's padding after the `length`-byte message at `start` in
 * `buf` (0x80, zeros, the bit length as 64 bits big-endian; up to 72 bytes)
 * and returns the padded length, a multiple of 64.
 *
 * @example
 * ```ts
 * import { pad } from "./_sha256.ts";
 * import assert from "node:assert/strict";
 *
 * const buf = new Uint8Array(3 + 72);
 * assert.equal(pad(buf, 0, 3), 64);
 * assert.equal(buf[3], 0x80);
 * assert.equal(buf[63], 24); // 3 bytes = 24 bits
 * ```
 */
export function pad(buf: Uint8Array, start: number, length: number): number {
  const full = length - (length % 64);
  const padded = (length % 64) < 56 ? full + 64 : full + 128;
  buf[start + length] = 0x80;
  buf.fill(0, start + length + 1, start + padded - 8);
  const bits = length * 8;
  const high = Math.floor(bits / 0x100000000);
  let tail = start + padded - 8;
  buf[tail++] = high >>> 24;
  buf[tail++] = high >>> 16;
  buf[tail++] = high >>> 8;
  buf[tail++] = high;
  buf[tail++] = bits >>> 24;
  buf[tail++] = bits >>> 16;
  buf[tail++] = bits >>> 8;
  buf[tail++] = bits;
  return padded;
}

/**
 * SHA-256 of `buf[start, end)`, written into `out` (32 bytes). `buf` must
 * have 72 writable bytes after `end`: the padding is written there.
 *
 * @example
 * ```ts
 * import { sha256Range } from "./_sha256.ts";
 * import { createHash } from "node:crypto";
 * import assert from "node:assert/strict";
 *
 * const buf = new Uint8Array(3 + 72);
 * buf.set([0x61, 0x62, 0x63]);
 * const out = new Uint8Array(32);
 * sha256Range(buf, 0, 3, out);
 * assert.deepEqual(out, new Uint8Array(createHash("sha256").update("abc").digest()));
 * ```
 */
export function sha256Range(
  buf: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
): void {
  v.set(INIT);
  const length = end - start;
  const full = start + (length - (length % 64));
  blocks(buf, start, full);
  blocks(buf, full, start + pad(buf, start, length));
  for (let i = 0; i < 8; i++) {
    out[i * 4] = v[i] >>> 24;
    out[i * 4 + 1] = v[i] >>> 16;
    out[i * 4 + 2] = v[i] >>> 8;
    out[i * 4 + 3] = v[i];
  }
}
