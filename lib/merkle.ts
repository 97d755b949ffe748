/**
 * A Merkle tree over the log's events, hashed the RFC 6962 way: a leaf is
 * SHA-256(0x00 || canonical bytes), an interior node SHA-256(0x01 || left ||
 * right), and the tree over n leaves splits at the largest power of two
 * below n. Appending keeps only the roots of the perfect subtrees, so the
 * writer's memory stays O(log n).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { sha256Range } from "./_sha256.ts";

const LEAF = new Uint8Array([0]);
/** 65 bytes of input plus room for SHA-256 padding. */
const NODE_SCRATCH = new Uint8Array(128);

/**
 * The RFC 6962 leaf hash of an entry.
 *
 * @example
 * ```ts
 * import { leafHash } from "./merkle.ts";
 * import assert from "node:assert/strict";
 *
 * // RFC 6962 test vector: the hash of the empty leaf.
 * assert.equal(Buffer.from(leafHash(new Uint8Array())).toString("hex"),
 *   "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
 * ```
 */
export function leafHash(entry: Uint8Array): Uint8Array {
  return createHash("sha256").update(LEAF).update(entry).digest();
}

/**
 * The RFC 6962 interior node hash.
 *
 * @example
 * ```ts
 * import { leafHash, nodeHash } from "./merkle.ts";
 * import assert from "node:assert/strict";
 *
 * import { createHash } from "node:crypto";
 *
 * const [l, r] = [leafHash(new Uint8Array([1])), leafHash(new Uint8Array([2]))];
 * const expected = createHash("sha256").update(new Uint8Array([1])).update(l).update(r).digest();
 * assert.deepEqual(nodeHash(l, r), new Uint8Array(expected));
 * ```
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  // 65 bytes: a plain-TypeScript SHA-256 beats node:crypto's fixed cost per call.
  NODE_SCRATCH[0] = 1;
  NODE_SCRATCH.set(left, 1);
  NODE_SCRATCH.set(right, 33);
  const out = new Uint8Array(32);
  sha256Range(NODE_SCRATCH, 0, 65, out);
  return out;
}

/** SHA-256 of nothing: the root of the empty tree. */
export const EMPTY_ROOT: Uint8Array = createHash("sha256").digest();

/**
 * Builds the tree incrementally: append leaf hashes, read the root of all
 * leaves so far at any time.
 *
 * @example
 * ```ts
 * import { leafHash, MerkleBuilder, merkleRoot } from "./merkle.ts";
 * import assert from "node:assert/strict";
 *
 * const leaves = [1, 2, 3, 4, 5].map((n) => leafHash(new Uint8Array([n])));
 * const builder = new MerkleBuilder();
 * for (const leaf of leaves) builder.append(leaf);
 * assert.deepEqual(builder.root(), merkleRoot(leaves));
 * assert.equal(builder.size, 5);
 * ```
 */
export class MerkleBuilder {
  /** Roots of perfect subtrees, largest (leftmost) first, with their sizes. */
  #stack: { hash: Uint8Array; size: number }[] = [];
  #size = 0;

  /** Leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /** Appends one leaf hash. */
  append(leaf: Uint8Array): void {
    let node = { hash: leaf, size: 1 };
    while (
      this.#stack.length > 0 &&
      this.#stack[this.#stack.length - 1].size === node.size
    ) {
      const left = this.#stack.pop()!;
      node = { hash: nodeHash(left.hash, node.hash), size: left.size * 2 };
    }
    this.#stack.push(node);
    this.#size++;
  }

  /** The root over every leaf appended so far. */
  root(): Uint8Array {
    if (this.#stack.length === 0) return EMPTY_ROOT;
    let hash = this.#stack[this.#stack.length - 1].hash;
    for (let i = this.#stack.length - 2; i >= 0; i--) {
      hash = nodeHash(this.#stack[i].hash, hash);
    }
    return hash;
  }
}

/**
 * The root over a list of leaf hashes (RFC 6962 MTH).
 *
 * @example
 * ```ts
 * import { EMPTY_ROOT, merkleRoot } from "./merkle.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(merkleRoot([]), EMPTY_ROOT);
 * ```
 */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0];
  const k = largestPowerOfTwoBelow(leaves.length);
  return nodeHash(merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k)));
}

/**
 * The inclusion proof (audit path) of leaf `index` in the tree over `leaves`
 * (RFC 6962 PATH).
 *
 * @example
 * ```ts
 * import { inclusionProof, leafHash, merkleRoot, verifyInclusion } from "./merkle.ts";
 * import assert from "node:assert/strict";
 *
 * const leaves = [1, 2, 3, 4, 5, 6, 7].map((n) => leafHash(new Uint8Array([n])));
 * const proof = inclusionProof(leaves, 4);
 * assert.ok(verifyInclusion(leaves[4], 4, leaves.length, proof, merkleRoot(leaves)));
 * assert.ok(!verifyInclusion(leaves[3], 4, leaves.length, proof, merkleRoot(leaves)));
 * ```
 */
export function inclusionProof(
  leaves: readonly Uint8Array[],
  index: number,
): Uint8Array[] {
  if (index < 0 || index >= leaves.length) {
    throw new RangeError(`Leaf ${index} is not in a tree of ${leaves.length}.`);
  }
  if (leaves.length === 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return index < k
    ? [
      ...inclusionProof(leaves.slice(0, k), index),
      merkleRoot(leaves.slice(k)),
    ]
    : [
      ...inclusionProof(leaves.slice(k), index - k),
      merkleRoot(leaves.slice(0, k)),
    ];
}

/**
 * Checks an inclusion proof (RFC 9162 section 2.1.3.2).
 *
 * @example
 * ```ts
 * import { leafHash, verifyInclusion } from "./merkle.ts";
 * import assert from "node:assert/strict";
 *
 * const leaf = leafHash(new Uint8Array([1]));
 * assert.ok(verifyInclusion(leaf, 0, 1, [], leaf));
 * ```
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if ((fn & 1) === 1 || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1) === 0) {
        while ((fn & 1) === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && equalBytes(r, root);
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
