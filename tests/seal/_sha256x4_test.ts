import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { LANE_BYTES, Sha256x4 } from "../../lib/seal/_sha256x4.ts";
import { seeded } from "../_seeded.ts";
import { edgeLengths, NIST_VECTORS, randomBytes } from "./_sha256_vectors.ts";

/** Hashes up to four messages in one call; returns their hex digests. */
function hashFour(x4: Sha256x4, messages: Uint8Array[]): string[] {
  messages.forEach((m, i) => x4.set(i, m));
  x4.hash(messages.length);
  return messages.map((_, i) =>
    x4.digests.subarray(32 * i, 32 * i + 32).toHex()
  );
}

Deno.test("Sha256x4: the FIPS 180-4 examples, each in every lane, beside the others", () => {
  const x4 = new Sha256x4();
  const messages = NIST_VECTORS.map((v) => new TextEncoder().encode(v.message));
  // Rotated so that every example goes through every lane once.
  for (let r = 0; r < 4; r++) {
    const order = [0, 1, 2, 3].map((k) => (k + r) % 4);
    assert.deepEqual(
      hashFour(x4, order.map((k) => messages[k])),
      order.map((k) => NIST_VECTORS[k].digest),
      `rotation ${r}`,
    );
  }
});

Deno.test("Sha256x4: fewer than four lanes hash only those, and a lane longer than the rest does not disturb them", () => {
  const x4 = new Sha256x4();
  const [abc, empty, two, long] = NIST_VECTORS;
  const encoder = new TextEncoder();
  assert.deepEqual(hashFour(x4, [encoder.encode(abc.message)]), [abc.digest]);
  assert.deepEqual(
    hashFour(x4, [encoder.encode(long.message), encoder.encode(empty.message)]),
    [long.digest, empty.digest],
  );
  assert.deepEqual(
    hashFour(x4, [
      encoder.encode(two.message),
      encoder.encode(abc.message),
      encoder.encode(long.message),
    ]),
    [two.digest, abc.digest, long.digest],
  );
});

// One million "a" do not fit a lane (LANE_BYTES): that example is checked
// on the single hash only; the longest message a lane holds stands in.
Deno.test('Sha256x4: the longest message a lane holds, all "a", equals node:crypto in every lane', () => {
  const x4 = new Sha256x4();
  const longest = new Uint8Array(LANE_BYTES - 72).fill(0x61);
  const digests = hashFour(x4, [longest, longest, longest, longest]);
  const expected = createHash("sha256").update(longest).digest("hex");
  assert.deepEqual(digests, [expected, expected, expected, expected]);
});

Deno.test("Sha256x4: equals node:crypto for seeded random messages of every length around the block edges, four of different lengths at a time", () => {
  const random = seeded(180_4);
  const x4 = new Sha256x4();
  const lengths = edgeLengths(random);
  for (let i = 0; i < lengths.length; i += 4) {
    // Lengths in a seeded order: lanes side by side end at different blocks.
    const group = lengths.slice(i, i + 4).map((length) =>
      randomBytes(random, length)
    );
    assert.deepEqual(
      hashFour(x4, group),
      group.map((m) => createHash("sha256").update(m).digest("hex")),
      `lengths ${group.map((m) => m.length).join(", ")}`,
    );
  }
});

Deno.test("Sha256x4: equals node:crypto for large seeded random messages, up to a full lane", () => {
  const random = seeded(42);
  const x4 = new Sha256x4();
  const group = [4095, 4096, 10_000, LANE_BYTES - 72].map((length) =>
    randomBytes(random, length)
  );
  assert.deepEqual(
    hashFour(x4, group),
    group.map((m) => createHash("sha256").update(m).digest("hex")),
  );
});
