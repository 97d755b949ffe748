/**
 * RFC 6962 (RFC 9162 section 2.1.4) consistency proofs between two tree
 * heads of one log: that the tree of `second` leaves extends the tree of
 * `first` leaves, that is, the log only grew between them. Central verify
 * makes one between each pair of successive anchored heads of a session
 * (the checkpoints table) from the stored leaves, and checks it against
 * the two anchored roots alone.
 *
 * @module
 */
import { merkleRoot, nodeHash } from "../seal/merkle.ts";

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function subproof(
  m: number,
  leaves: readonly Uint8Array[],
  complete: boolean,
  out: Uint8Array[],
): void {
  const n = leaves.length;
  if (m === n) {
    if (!complete) out.push(merkleRoot(leaves));
    return;
  }
  const k = largestPowerOfTwoBelow(n);
  if (m <= k) {
    subproof(m, leaves.slice(0, k), complete, out);
    out.push(merkleRoot(leaves.slice(k)));
  } else {
    subproof(m - k, leaves.slice(k), false, out);
    out.push(merkleRoot(leaves.slice(0, k)));
  }
}

/**
 * The consistency proof from the tree of the first `first` leaf hashes to
 * the tree of all of `leaves` (RFC 6962 PROOF(m, D[n])).
 *
 * @example
 * ```ts
 * import { consistencyProof, verifyConsistency } from "./consistency_proof.ts";
 * import { leafHash, merkleRoot } from "../seal/merkle.ts";
 * import assert from "node:assert/strict";
 *
 * const leaves = [0, 1, 2, 3, 4, 5, 6].map((n) => leafHash(new Uint8Array([n])));
 * const proof = consistencyProof(leaves, 3);
 * assert.equal(proof.length, 4);
 * assert.ok(verifyConsistency(3, 7, merkleRoot(leaves.slice(0, 3)), merkleRoot(leaves), proof));
 * ```
 */
export function consistencyProof(
  leaves: readonly Uint8Array[],
  first: number,
): Uint8Array[] {
  if (!Number.isInteger(first) || first < 0 || first > leaves.length) {
    throw new RangeError(
      `A tree of ${first} leaves is not a prefix of a tree of ${leaves.length}.`,
    );
  }
  const out: Uint8Array[] = [];
  if (first === 0 || first === leaves.length) return out;
  subproof(first, leaves, true, out);
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Checks a consistency proof between the head (`first`, `firstRoot`) and
 * the head (`second`, `secondRoot`) with nothing but the two roots
 * (RFC 9162 section 2.1.4.2). An empty first tree is consistent with any.
 *
 * @example
 * ```ts
 * import { consistencyProof, verifyConsistency } from "./consistency_proof.ts";
 * import { leafHash, merkleRoot } from "../seal/merkle.ts";
 * import assert from "node:assert/strict";
 *
 * const leaves = [0, 1, 2, 3, 4].map((n) => leafHash(new Uint8Array([n])));
 * const proof = consistencyProof(leaves, 2);
 * const edited = [...leaves.slice(0, 1), leafHash(new Uint8Array([9])), ...leaves.slice(2)];
 * assert.ok(verifyConsistency(2, 5, merkleRoot(leaves.slice(0, 2)), merkleRoot(leaves), proof));
 * assert.ok(!verifyConsistency(2, 5, merkleRoot(edited.slice(0, 2)), merkleRoot(leaves), proof));
 * ```
 */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (first < 0 || first > second) return false;
  if (first === 0) return proof.length === 0;
  if (first === second) {
    return proof.length === 0 && equal(firstRoot, secondRoot);
  }
  if (proof.length === 0) return false;
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [
    ...proof,
  ];
  let fn = first - 1;
  let sn = second - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if ((fn & 1) === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1) === 0) {
        while ((fn & 1) === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
}
