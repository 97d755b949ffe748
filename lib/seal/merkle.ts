/**
 * A Merkle tree over the log's events, hashed the RFC 6962 way: a leaf is
 * SHA-256(0x00 || canonical bytes), an interior node SHA-256(0x01 || left ||
 * right), and the tree over n leaves splits at the largest power of two
 * below n. Appending keeps only the roots of the perfect subtrees, so the
 * writer's and the verifier's memory stays O(log n).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { sha256Range } from "./_sha256.ts";
import { LANE_BYTES, Sha256x4 } from "./_sha256x4.ts";
import { LEAF_PREFIX, NODE_PREFIX } from "./sealed_line.ts";

const LEAF = new Uint8Array([LEAF_PREFIX]);
/** 65 bytes of input plus room for SHA-256 padding. */
const NODE_SCRATCH = new Uint8Array(128);
/**
 * Leaves {@linkcode MerkleBuilder} gathers before hashing them as one
 * perfect subtree, four nodes at a time.
 */
const SUBTREE = 64;

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
  const out = new Uint8Array(32);
  hashNode(left, 0, right, 0, out);
  return out;
}

/** SHA-256 of nothing: the root of the empty tree. */
export const EMPTY_ROOT: Uint8Array = createHash("sha256").digest();

/** Options for {@linkcode MerkleBuilder}. */
export interface MerkleBuilderOptions {
  /**
   * Hash nodes four at a time with WebAssembly SIMD (about twice as fast;
   * plain TypeScript where WebAssembly is unavailable). The first tree to
   * fill 64 leaves assembles the module, about 40 ms once per process
   * unless something else has already: worth it for the verifier, which
   * assembles it anyway for its leaf hashes, not for the writer's
   * per-event seal path.
   * @default {false}
   */
  simd?: boolean;
}

const defaults = { simd: false } satisfies MerkleBuilderOptions;

/**
 * Builds the tree incrementally: append leaf hashes, read the root of all
 * leaves so far at any time. Leaves are gathered 64 at a time and hashed
 * as one perfect subtree (with {@linkcode MerkleBuilderOptions.simd}, four
 * nodes per WebAssembly SIMD call); only the roots of the perfect subtrees
 * are kept, in one flat array.
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
 *
 * // Leaf hashes can be read from inside a larger buffer; SIMD hashing
 * // gives the same roots.
 * const packed = new Uint8Array(32 * 100);
 * for (let i = 0; i < 100; i++) packed[32 * i] = i;
 * const [plain, simd] = [new MerkleBuilder(), new MerkleBuilder({ simd: true })];
 * for (let i = 0; i < 100; i++) {
 *   plain.append(packed, 32 * i);
 *   simd.append(packed, 32 * i);
 * }
 * assert.deepEqual(simd.root(), plain.root());
 * assert.equal(simd.size, 100);
 * ```
 */
export class MerkleBuilder {
  /**
   * Roots of the perfect subtrees over the leaves before the pending ones,
   * largest (leftmost) first, 32 bytes each: one per bit set in
   * `#size / SUBTREE`.
   */
  #stack = new Uint8Array(32 * 8);
  #depth = 0;
  /** Leaves under the roots in `#stack`: a multiple of {@linkcode SUBTREE}. */
  #size = 0;
  /** Leaves not yet in the stack, fewer than {@linkcode SUBTREE}. */
  #pending = new Uint8Array(32 * SUBTREE);
  #pendingCount = 0;
  #simd: boolean;

  /** An empty tree. */
  constructor(options: MerkleBuilderOptions = {}) {
    this.#simd = options.simd ?? defaults.simd;
  }

  /** Leaves appended so far. */
  get size(): number {
    return this.#size + this.#pendingCount;
  }

  /** Appends one leaf hash: the 32 bytes of `leaf` from `at` (copied). */
  append(leaf: Uint8Array, at = 0): void {
    if (at < 0 || at + 32 > leaf.length) {
      throw new RangeError(
        `A leaf hash is 32 bytes: ${leaf.length} bytes from offset ${at} do not hold one.`,
      );
    }
    const pending = this.#pending;
    const to = 32 * this.#pendingCount;
    for (let i = 0; i < 32; i++) pending[to + i] = leaf[at + i];
    if (++this.#pendingCount === SUBTREE) {
      subtreeRoot(pending, 0, SUBTREE, this.#simd);
      this.#pendingCount = 0;
      this.#push(pending);
    }
  }

  /** The root over every leaf appended so far (a new array). */
  root(): Uint8Array {
    const count = this.#pendingCount;
    if (count === 0 && this.#depth === 0) return new Uint8Array(EMPTY_ROOT);
    const out = new Uint8Array(32);
    let empty = true;
    if (count > 0) {
      // The pending leaves split into one perfect subtree per bit of their
      // count, largest first: fold them in from the right, on a copy.
      const scratch = rootScratch;
      scratch.set(this.#pending.subarray(0, 32 * count));
      let end = count;
      for (let bit = 1; bit <= count; bit *= 2) {
        if ((count & bit) === 0) continue;
        const start = end - bit;
        subtreeRoot(scratch, 32 * start, bit, this.#simd);
        if (empty) out.set(scratch.subarray(32 * start, 32 * start + 32));
        else hashNode(scratch, 32 * start, out, 0, out);
        empty = false;
        end = start;
      }
    }
    const stack = this.#stack;
    for (let i = this.#depth - 1; i >= 0; i--) {
      if (empty) out.set(stack.subarray(32 * i, 32 * i + 32));
      else hashNode(stack, 32 * i, out, 0, out);
      empty = false;
    }
    return out;
  }

  /** Pushes the root of the {@linkcode SUBTREE} leaves that follow the stack's. */
  #push(hash: Uint8Array): void {
    if ((this.#depth + 1) * 32 > this.#stack.length) {
      const grown = new Uint8Array(this.#stack.length * 2);
      grown.set(this.#stack);
      this.#stack = grown;
    }
    const stack = this.#stack;
    let top = this.#depth * 32;
    for (let i = 0; i < 32; i++) stack[top + i] = hash[i];
    // Each trailing 1 bit of the size (in units of SUBTREE) is a subtree as
    // large as the new one: merge them.
    for (let n = this.#size / SUBTREE; n % 2 === 1; n = (n - 1) / 2) {
      hashNode(stack, top - 32, stack, top, scratchOut);
      top -= 32;
      stack.set(scratchOut, top);
    }
    this.#depth = top / 32 + 1;
    this.#size += SUBTREE;
  }
}

/** Where {@linkcode MerkleBuilder.root} hashes a copy of the pending leaves. */
const rootScratch = new Uint8Array(32 * SUBTREE);
const scratchOut = new Uint8Array(32);

/**
 * `out` (from 0) = SHA-256(0x01 || 32 bytes of `left` from `l` || 32 of
 * `right` from `r`); `out` may be `left` or `right`. 65 bytes: a plain
 * TypeScript SHA-256 beats node:crypto's fixed cost per call.
 */
function hashNode(
  left: Uint8Array,
  l: number,
  right: Uint8Array,
  r: number,
  out: Uint8Array,
): void {
  const buf = NODE_SCRATCH;
  buf[0] = NODE_PREFIX;
  for (let i = 0; i < 32; i++) {
    buf[1 + i] = left[l + i];
    buf[33 + i] = right[r + i];
  }
  sha256Range(buf, 0, 65, out);
}

/** Lanes for Merkle nodes, shared by every tree (each uses them only within a call); null without WebAssembly SIMD. */
let sharedLanes: Sha256x4 | null | undefined;

function nodeLanes(): Sha256x4 | null {
  if (sharedLanes === undefined) {
    try {
      sharedLanes = new Sha256x4();
      // Every message is 65 bytes, NODE_PREFIX first: write that byte and the
      // padding once; hashing reads the lanes and writes only the digests.
      for (let k = 0; k < 4; k++) {
        sharedLanes.memory[k * LANE_BYTES] = NODE_PREFIX;
        sharedLanes.pad(k, 65);
      }
    } catch {
      sharedLanes = null;
    }
  }
  return sharedLanes;
}

/**
 * Replaces the 32 bytes of `hashes` at `at` with the root of the perfect
 * tree over the `count` (a power of 2) leaf hashes from there, level by
 * level; with `simd`, four nodes at a time when WebAssembly allows.
 */
function subtreeRoot(
  hashes: Uint8Array,
  at: number,
  count: number,
  simd: boolean,
): void {
  const x4 = simd && count > 1 ? nodeLanes() : null;
  if (!x4) {
    for (let n = count; n > 1; n /= 2) {
      for (let j = 0; j < n / 2; j++) {
        hashNode(hashes, at + 64 * j, hashes, at + 64 * j + 32, scratchOut);
        hashes.set(scratchOut, at + 32 * j);
      }
    }
    return;
  }
  const memory = x4.memory;
  const digests = x4.digests;
  for (let n = count; n > 1; n /= 2) {
    for (let j = 0; j < n / 2; j += 4) {
      const lanes = Math.min(4, n / 2 - j);
      for (let k = 0; k < lanes; k++) {
        const to = k * LANE_BYTES;
        const from = at + 64 * (j + k);
        for (let i = 0; i < 64; i++) memory[to + 1 + i] = hashes[from + i];
      }
      x4.hash(lanes);
      const to = at + 32 * j;
      for (let i = 0; i < 32 * lanes; i++) hashes[to + i] = digests[i];
    }
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
