import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha256Range } from "../../lib/seal/_sha256.ts";
import { seeded } from "../_seeded.ts";
import {
  edgeLengths,
  MILLION_A_DIGEST,
  NIST_VECTORS,
  randomBytes,
} from "./_sha256_vectors.ts";

/** sha256Range of `message`, copied into a buffer with room for the padding. */
function hashOf(message: Uint8Array, offset = 0): string {
  const buf = new Uint8Array(offset + message.length + 72).fill(0xee);
  buf.set(message, offset);
  const out = new Uint8Array(32);
  sha256Range(buf, offset, offset + message.length, out);
  return out.toHex();
}

for (const vector of NIST_VECTORS) {
  Deno.test(`sha256Range: the FIPS 180-4 example of ${vector.name}`, () => {
    assert.equal(
      hashOf(new TextEncoder().encode(vector.message)),
      vector.digest,
    );
  });
}

Deno.test('sha256Range: the FIPS 180-4 example of one million "a"', () => {
  assert.equal(hashOf(new Uint8Array(1_000_000).fill(0x61)), MILLION_A_DIGEST);
});

Deno.test("sha256Range: equals node:crypto for seeded random messages of every length around the block edges, at any offset", () => {
  const random = seeded(180_4);
  for (const length of edgeLengths(random)) {
    const message = randomBytes(random, length);
    const offset = Math.floor(random() * 7);
    assert.equal(
      hashOf(message, offset),
      createHash("sha256").update(message).digest("hex"),
      `length ${length}, offset ${offset}`,
    );
  }
});

Deno.test("sha256Range: equals node:crypto for large seeded random messages", () => {
  const random = seeded(42);
  for (const length of [4095, 4096, 65_537, 1_000_003]) {
    const message = randomBytes(random, length);
    assert.equal(
      hashOf(message),
      createHash("sha256").update(message).digest("hex"),
      `length ${length}`,
    );
  }
});
