/**
 * Stage 5a': tamper evidence. Every log line gets a `hash` member, the last
 * in the line: SHA-256 over the previous line's hash and this line's leaf
 * hash (32 raw bytes each), the leaf hash being SHA-256 over 0x00 and the
 * line's canonical bytes (the line as written without its `,"hash":"…"`
 * member and newline). Every line except checkpoints is also
 * a leaf of an RFC 6962 Merkle tree; checkpoint lines record the tree's
 * size and root and, with a key, an Ed25519 signature over them.
 * The exact formats are in docs/evidence.md.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { MerkleBuilder } from "./merkle.ts";
import { sha256Range } from "./_sha256.ts";
import { writeHex } from "./_hex.ts";
import { LANE_BYTES, Sha256x4 } from "./_sha256x4.ts";
import type { SigningKey } from "./signing_key.ts";
import {
  HASH_HEX_FROM_END,
  HASH_MEMBER_BYTES,
  LEAF_PREFIX,
  SEAL_SUFFIX,
} from "./sealed_line.ts";

const encoder = new TextEncoder();
const LEAF = new Uint8Array([LEAF_PREFIX]);
/** Four leaf hashes. */
const LEAF_SCRATCH = new Uint8Array(128);
let sharedLanes: Sha256x4 | null | undefined;

/** Lanes for leaf hashes, or undefined without WebAssembly SIMD. */
function leafLanes(): Sha256x4 | undefined {
  if (sharedLanes === undefined) {
    try {
      sharedLanes = new Sha256x4();
    } catch {
      sharedLanes = null;
    }
  }
  return sharedLanes ?? undefined;
}

/** 64 bytes of chain input plus room for SHA-256 padding. */
const LINK_SCRATCH = new Uint8Array(128);

/** The first line of the signed checkpoint message. */
export const CHECKPOINT_MAGIC = "mcp-audit checkpoint v1";

/**
 * The chain's starting value for a session: SHA-256 of
 * `"mcp-audit chain v1 " + session id`.
 *
 * @example
 * ```ts
 * import { chainStart } from "./seal.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(chainStart("s").length, 32);
 * ```
 */
export function chainStart(session: string): Uint8Array {
  return createHash("sha256").update(`mcp-audit chain v1 ${session}`).digest();
}

/**
 * The bytes an Ed25519 checkpoint signature covers.
 *
 * @example
 * ```ts
 * import { checkpointMessage } from "./seal.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   new TextDecoder().decode(checkpointMessage("s", 2, "ab", "cd")),
 *   "mcp-audit checkpoint v1\ns\n2\nab\ncd\n",
 * );
 * ```
 */
export function checkpointMessage(
  session: string,
  treeSize: number,
  root: string,
  head: string,
): Uint8Array {
  return encoder.encode(
    `${CHECKPOINT_MAGIC}\n${session}\n${treeSize}\n${root}\n${head}\n`,
  );
}

/** What a checkpoint records. */
export interface CheckpointFields {
  treeSize: number;
  root: string;
  head: string;
  keyId?: string;
  signature?: string;
}

/** Options for {@linkcode Sealer}. */
export interface SealerOptions {
  /** Signs checkpoints when given. */
  signingKey?: SigningKey;
  /**
   * A checkpoint after this many events.
   * @default {1000}
   */
  checkpointEvery?: number;
  /**
   * A checkpoint after this many seconds with new events.
   * @default {10}
   */
  checkpointSeconds?: number;
  /**
   * Hash the tree's nodes with WebAssembly SIMD. Assembling the module
   * costs tens of ms once per process: worth it for a long session, not
   * for a short-lived hook process that seals a few lines.
   * @default {true}
   */
  treeSimd?: boolean;
}

/** Options for {@linkcode Sealer.seal}: which lines of the bytes to seal, and how. */
export interface SealOptions {
  /**
   * Where each line ends in the bytes, its newline included: line `i` ends
   * at `ends[i]`.
   * @default {[bytes.length]} (the bytes are one line)
   */
  ends?: readonly number[];
  /**
   * The first line to seal.
   * @default {0}
   */
  from?: number;
  /**
   * One past the last line to seal.
   * @default {ends.length}
   */
  to?: number;
  /**
   * Where line `from` starts in the bytes.
   * @default {from === 0 ? 0 : ends[from - 1]}
   */
  start?: number;
  /**
   * The lines are leaves of the Merkle tree; false for a checkpoint line,
   * which is chained but is not a leaf.
   * @default {true}
   */
  leaf?: boolean;
}

/**
 * Seals log lines into the hash chain and the Merkle tree.
 *
 * @example
 * ```ts
 * import { Sealer } from "./seal.ts";
 * import assert from "node:assert/strict";
 *
 * const sealer = new Sealer("s");
 * const sealed = sealer.seal(new TextEncoder().encode('{"v":1,"seq":0}\n'));
 * assert.match(
 *   new TextDecoder().decode(sealed),
 *   /^\{"v":1,"seq":0,"hash":"[0-9a-f]{64}"\}\n$/,
 * );
 * const cp = await sealer.checkpoint();
 * assert.equal(cp.treeSize, 1);
 * ```
 */
export class Sealer {
  readonly #session: string;
  readonly #options: SealerOptions;
  #head: Uint8Array;
  // WebAssembly for the tree's nodes too: the leaves already build it.
  #tree: MerkleBuilder;
  #sinceCheckpoint = 0;

  /** Starts the chain for `session`. */
  constructor(session: string, options: SealerOptions = {}) {
    this.#session = session;
    this.#options = options;
    this.#tree = new MerkleBuilder({ simd: options.treeSimd ?? true });
    this.#head = new Uint8Array(chainStart(session)); // Ours to overwrite.
  }

  /** Hex of the chain's starting value. */
  get start(): string {
    return chainStart(this.#session).toHex();
  }

  /** Hex hash of the last sealed line. */
  get head(): string {
    return this.#head.toHex();
  }

  /** Leaves in the tree. */
  get treeSize(): number {
    return this.#tree.size;
  }

  /** Events since the last checkpoint. */
  get sinceCheckpoint(): number {
    return this.#sinceCheckpoint;
  }

  /** Events between checkpoints. */
  get checkpointEvery(): number {
    return this.#options.checkpointEvery ?? 1000;
  }

  /** Seconds between checkpoints while events arrive. */
  get checkpointSeconds(): number {
    return this.#options.checkpointSeconds ?? 10;
  }

  /**
   * Seals serialised event lines given as UTF-8 bytes: each (ending in `}`,
   * then a newline) gets the `hash` member, last, and is chained and, unless
   * `options.leaf` is false, added to the tree. Returns the sealed lines, a
   * new array, each {@linkcode SEAL_SUFFIX} - 1 bytes longer. Throws a
   * `RangeError` for a line that does not end in `}` and a newline.
   *
   * @example Several lines at once, as the log thread hands them over
   * ```ts
   * import { Sealer } from "./seal.ts";
   * import assert from "node:assert/strict";
   *
   * const lines = ['{"seq":0}\n', '{"seq":1}\n', '{"seq":2}\n'];
   * const bytes = new TextEncoder().encode(lines.join(""));
   * const ends = [10, 20, 30];
   * const sealer = new Sealer("s");
   * const sealed = new TextDecoder().decode(sealer.seal(bytes, { ends, from: 1 }));
   * assert.match(sealed, /^\{"seq":1,"hash":"[0-9a-f]{64}"\}\n\{"seq":2,"hash":"[0-9a-f]{64}"\}\n$/);
   * assert.equal(sealer.treeSize, 2);
   * ```
   */
  seal(bytes: Uint8Array, options: SealOptions = {}): Uint8Array {
    const ends = options.ends ?? [bytes.length];
    const from = options.from ?? 0;
    const to = options.to ?? ends.length;
    const leaf = options.leaf ?? true;
    const start = options.start ?? (from === 0 ? 0 : ends[from - 1]);
    if (to <= from) return new Uint8Array(0);
    const out = new Uint8Array(
      ends[to - 1] - start + (to - from) * (SEAL_SUFFIX - 1),
    );
    // Four lines at a time through the lanes; a lone line goes to
    // node:crypto, which hashes one line faster than a quarter-full lane set.
    const x4 = to - from > 1 ? leafLanes() : undefined;
    const leaves = LEAF_SCRATCH;
    let at = 0;
    for (let i = from; i < to; i += 4) {
      const n = Math.min(4, to - i);
      // The leaf hashes of lines i to i + n - 1: SHA-256(0x00 || line).
      const first = i === from ? start : ends[i - 1];
      let s = first;
      // Bit k set: line i + k is hashed in lane k, not by node:crypto.
      let laned = 0;
      for (let k = 0; k < n; k++) {
        const end = ends[i + k] - 1;
        if (end <= s || bytes[end] !== 0x0a || bytes[end - 1] !== 0x7d) {
          throw new RangeError(
            `Cannot seal line ${i + k} (bytes ${s} to ${
              end + 1
            }): it does not end in "}" and a newline; pass whole serialised events.`,
          );
        }
        if (x4 && end - s + 1 <= LANE_BYTES - 72) {
          const lane = k * LANE_BYTES;
          x4.memory[lane] = LEAF_PREFIX;
          x4.memory.set(bytes.subarray(s, end), lane + 1);
          x4.pad(k, end - s + 1);
          laned |= 1 << k;
        } else {
          // A hex digest is about twice as fast as a Buffer one (no Buffer
          // to build).
          leaves.subarray(32 * k, 32 * k + 32).setFromHex(
            createHash("sha256").update(LEAF).update(bytes.subarray(s, end))
              .digest("hex"),
          );
          x4?.pad(k, 0);
        }
        s = ends[i + k];
      }
      if (x4 && laned !== 0) {
        x4.hash(n);
        for (let k = 0; k < n; k++) {
          if (laned & (1 << k)) {
            leaves.set(x4.digests.subarray(32 * k, 32 * k + 32), 32 * k);
          }
        }
      }
      // Chain, tree and the sealed line, in order.
      s = first;
      for (let k = 0; k < n; k++) {
        this.#link(leaves, 32 * k, leaf);
        const end = ends[i + k] - 2; // Without "}" and the newline.
        out.set(bytes.subarray(s, end), at);
        at += end - s;
        at = this.#hashMember(out, at);
        s = ends[i + k];
      }
    }
    return out;
  }

  /**
   * Takes a line sealed earlier (by another process) into the chain and,
   * unless `leaf` is false (a checkpoint), the tree, as if this sealer had
   * sealed it: a short-lived writer that appends to a log resumes its
   * session's chain this way. `line` is the sealed line without its
   * newline. Throws a `RangeError` when the line is not sealed or its hash
   * does not extend the chain so far (the log was changed).
   *
   * @example Resuming a chain in a fresh sealer
   * ```ts
   * import { Sealer } from "./seal.ts";
   * import assert from "node:assert/strict";
   *
   * const first = new Sealer("s");
   * const sealed = first.seal(new TextEncoder().encode('{"seq":0}\n'));
   * const resumed = new Sealer("s");
   * resumed.resume(sealed.subarray(0, sealed.length - 1));
   * assert.equal(resumed.head, first.head);
   * assert.equal(resumed.treeSize, 1);
   * ```
   */
  resume(line: Uint8Array, leaf = true): void {
    const cut = line.length - SEAL_SUFFIX;
    const hex = new TextDecoder().decode(
      line.subarray(line.length - HASH_HEX_FROM_END, line.length - 2),
    );
    if (cut < 1 || !/^[0-9a-f]{64}$/.test(hex)) {
      throw new RangeError(
        "Cannot resume the chain from a line that is not sealed; verify the log with `mcp-audit verify`.",
      );
    }
    const digest = createHash("sha256").update(LEAF).update(
      line.subarray(0, cut),
    ).update("}").digest();
    this.#link(digest, 0, leaf);
    if (this.head !== hex) {
      throw new RangeError(
        "Cannot resume the chain: a line's hash does not extend the lines before it (the log was changed); verify it with `mcp-audit verify`.",
      );
    }
  }

  /**
   * Chains the leaf hash at `at` in `hashes` and, for a leaf, adds it to
   * the tree (which copies it).
   */
  #link(hashes: Uint8Array, at: number, leaf: boolean): void {
    LINK_SCRATCH.set(this.#head, 0);
    for (let i = 0; i < 32; i++) LINK_SCRATCH[32 + i] = hashes[at + i];
    // The new head overwrites the old one: the scratch holds its copy.
    sha256Range(LINK_SCRATCH, 0, 64, this.#head);
    if (leaf) {
      this.#tree.append(hashes, at);
      this.#sinceCheckpoint++;
    }
  }

  /** Writes `,"hash":"<head>"}` and a newline at `at`; returns the end. */
  #hashMember(out: Uint8Array, at: number): number {
    out.set(HASH_MEMBER_BYTES, at);
    let p = writeHex(this.#head, out, at + HASH_MEMBER_BYTES.length);
    out[p++] = 0x22; // "
    out[p++] = 0x7d; // }
    out[p++] = 0x0a; // newline
    return p;
  }

  /** The fields of a checkpoint over everything sealed so far, signed when there is a key. */
  async checkpoint(): Promise<CheckpointFields> {
    const fields: CheckpointFields = {
      treeSize: this.#tree.size,
      root: this.#tree.root().toHex(),
      head: this.head,
    };
    this.#sinceCheckpoint = 0;
    const key = this.#options.signingKey;
    if (key) {
      const message = checkpointMessage(
        this.#session,
        fields.treeSize,
        fields.root,
        fields.head,
      );
      const signature = await crypto.subtle.sign(
        "Ed25519",
        key.privateKey,
        message as Uint8Array<ArrayBuffer>,
      );
      fields.keyId = key.keyId;
      fields.signature = new Uint8Array(signature).toBase64();
    }
    return fields;
  }
}
