/**
 * RFC 6962 consistency proofs: every prefix of every tree up to 40 leaves
 * is proved consistent by the proof the generator makes, checked by the
 * separate RFC 9162 verification algorithm; and any changed hash, a wrong
 * root, or the wrong sizes make the check fail.
 */
import assert from "node:assert/strict";
import {
  consistencyProof,
  verifyConsistency,
} from "../../lib/fleet/consistency_proof.ts";
import { leafHash, merkleRoot } from "../../lib/seal/merkle.ts";

const leaves = Array.from(
  { length: 40 },
  (_, i) => leafHash(new TextEncoder().encode(`event ${i}`)),
);

function flipped(hash: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(hash);
  copy[0] ^= 1;
  return copy;
}

Deno.test("consistency: every prefix of every tree up to 40 leaves verifies", () => {
  for (let n = 1; n <= leaves.length; n++) {
    const tree = leaves.slice(0, n);
    const root = merkleRoot(tree);
    for (let m = 1; m <= n; m++) {
      const proof = consistencyProof(tree, m);
      const old = merkleRoot(tree.slice(0, m));
      assert.ok(verifyConsistency(m, n, old, root, proof), `${m} -> ${n}`);
      if (m === n) {
        assert.equal(proof.length, 0);
        continue;
      }
      // Proof sizes are logarithmic.
      assert.ok(proof.length <= 2 * Math.ceil(Math.log2(n)) + 1);
      assert.ok(!verifyConsistency(m, n, flipped(old), root, proof));
      assert.ok(!verifyConsistency(m, n, old, flipped(root), proof));
      for (let i = 0; i < proof.length; i++) {
        const bad = proof.map((h, j) => (j === i ? flipped(h) : h));
        assert.ok(!verifyConsistency(m, n, old, root, bad), `${m}->${n} #${i}`);
      }
      assert.ok(!verifyConsistency(m, n, old, root, proof.slice(1)));
      if (m + 1 < n) {
        assert.ok(!verifyConsistency(m + 1, n, old, root, proof));
      }
    }
  }
});

Deno.test("consistency: a history rewritten below the first head does not verify", () => {
  const rewritten = [...leaves.slice(0, 20)];
  rewritten[7] = leafHash(new TextEncoder().encode("rewritten"));
  const later = [...rewritten, ...leaves.slice(20, 30)];
  const proof = consistencyProof(later, 13);
  assert.ok(
    !verifyConsistency(
      13,
      30,
      merkleRoot(leaves.slice(0, 13)),
      merkleRoot(later),
      proof,
    ),
  );
  assert.throws(() => consistencyProof(leaves.slice(0, 5), 6), RangeError);
});
