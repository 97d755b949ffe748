/**
 * Test data for both SHA-256 implementations (tests/seal/_sha256_test.ts,
 * tests/seal/_sha256x4_test.ts): the FIPS 180-4 examples and seeded
 * messages of lengths around the block edges.
 *
 * @module
 */

/**
 * The SHA-256 examples of FIPS 180-4 (NIST's "Examples with Intermediate
 * Values", also the CAVP short and long message checks), as literals: an
 * implementation and node:crypto could agree and both be wrong, these not.
 */
export const NIST_VECTORS: { name: string; message: string; digest: string }[] =
  [
    {
      name: '"abc" (one block)',
      message: "abc",
      digest:
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    },
    {
      name: "the empty string",
      message: "",
      digest:
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    {
      name: "448 bits (56 bytes: the padding needs a second block)",
      message: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      digest:
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    },
    {
      name: "896 bits (112 bytes)",
      message: "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn" +
        "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      digest:
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
    },
  ];

/** The long FIPS 180-4 example: one million "a". */
export const MILLION_A_DIGEST =
  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

/**
 * Lengths around the block edges (55 bytes is the longest message whose
 * padding fits its block, 56 the shortest that needs another), 0 to 300
 * with every one from 0 to 130, in a seeded order, so that lanes
 * hashed together hold messages of different block counts.
 */
export function edgeLengths(random: () => number): number[] {
  const lengths = Array.from({ length: 131 }, (_, i) => i);
  for (const edge of [183, 184, 191, 192, 247, 248, 255, 256]) {
    lengths.push(edge - 1, edge, edge + 1);
  }
  for (let i = 0; i < 40; i++) lengths.push(Math.floor(random() * 301));
  // Fisher-Yates, seeded.
  for (let i = lengths.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [lengths[i], lengths[j]] = [lengths[j], lengths[i]];
  }
  return lengths;
}

/** `length` seeded random bytes. */
export function randomBytes(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}
