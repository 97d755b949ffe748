/**
 * The quick check `mcp-audit sessions` shows for each session: the hash
 * chain over the line before the session's last checkpoint, the checkpoint
 * and every line after it (for a finished session: its `session_end` and
 * final checkpoint), that the checkpoint's `head` is the hash of the line
 * before it, and that its `treeSize` counts the lines before it. Only those
 * lines are hashed (at most `checkpointEvery` lines or `checkpointSeconds`
 * of them); the lines before, the tree root and the signatures are left to
 * `mcp-audit verify`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { chainStart } from "../seal/seal.ts";
import {
  HASH_HEX_FROM_END,
  isSealed,
  LEAF_PREFIX,
  SEAL_SUFFIX,
} from "../seal/sealed_line.ts";

/** What the quick check found. */
export interface QuickCheckResult {
  /**
   * `ok`: the chain holds from the last checkpoint (or the session's start,
   * before its first checkpoint) to the last line, and that checkpoint's
   * `treeSize` counts the lines before it; `failed`: it does not;
   * `unsealed`: lines without a hash, nothing to check; `gap`: the writer
   * lost lines; `truncated`: the last line was cut short.
   */
  status: "ok" | "failed" | "unsealed" | "gap" | "truncated";
  /** Lines hashed. */
  lines: number;
  /** Where the checked chain starts. */
  from: "checkpoint" | "start";
  /** The last checkpoint carries a signature (not checked here). */
  signed: boolean;
  /** What failed, for `failed`. */
  problem?: string;
}

const LEAF = new Uint8Array([LEAF_PREFIX]);
const CLOSE = new Uint8Array([0x7d]);
const decoder = new TextDecoder();

/** Feeds a session's lines in order; {@linkcode result} checks the tail. */
export class QuickCheck {
  #session: string;
  /** The chain value the first held line extends. */
  #anchor: Uint8Array | undefined;
  #from: "checkpoint" | "start" = "start";
  /** Copies of the lines since the last checkpoint, with it. */
  #held: Uint8Array[] = [];
  #heldSeqs: number[] = [];
  /** Non-checkpoint lines seen. */
  #leaves = 0;
  #signed = false;
  #unsealed = false;
  #gap = false;
  #problem?: string;
  #truncated = false;

  /** Starts the check for `session`. */
  constructor(session: string) {
    this.#session = session;
    this.#anchor = chainStart(session);
  }

  /** A complete line of the session, as bytes, and its parsed record. */
  add(bytes: Uint8Array, record: Record<string, unknown>): void {
    if (record.kind === "gap") {
      // The line after a gap chains from the last lost line's hash.
      this.#gap = true;
      this.#anchor = typeof record.head === "string"
        ? fromHex(record.head)
        : undefined;
      this.#held = [];
      this.#heldSeqs = [];
      return;
    }
    if (!isSealed(bytes)) {
      this.#unsealed = true;
      return;
    }
    if (record.kind === "checkpoint") {
      const leaves = this.#leaves;
      // After lost lines the count cannot be known here.
      if (!this.#gap && record.treeSize !== leaves) {
        this.#problem ??=
          `the checkpoint at seq ${record.seq} counts ${record.treeSize} lines before it, the log holds ${leaves}`;
      }
      // Keep the line before the checkpoint, with the chain value it
      // extends (the stored hash of the line before it); earlier lines
      // are left to verify.
      const n = this.#held.length;
      if (n >= 2) {
        this.#anchor = fromHex(storedHash(this.#held[n - 2]));
        this.#held = this.#held.slice(n - 1);
        this.#heldSeqs = this.#heldSeqs.slice(n - 1);
      }
      const before = n > 0
        ? storedHash(this.#held[this.#held.length - 1])
        : this.#anchor && hex(this.#anchor);
      if (before !== undefined && record.head !== before) {
        this.#problem ??=
          `the checkpoint at seq ${record.seq} names a head that is not the hash of the line before it`;
      }
      this.#from = "checkpoint";
      this.#signed = typeof record.signature === "string";
    } else {
      this.#leaves++;
    }
    this.#held.push(bytes.slice());
    this.#heldSeqs.push(typeof record.seq === "number" ? record.seq : -1);
  }

  /** The session's log ends with a line cut short. */
  truncated(): void {
    this.#truncated = true;
  }

  /** Hashes the held lines and says what was found. */
  result(): QuickCheckResult {
    let head = this.#anchor ?? new Uint8Array(32);
    let problem = this.#problem;
    // After an old writer's gap without a head the chain resumes unchecked.
    const held = this.#anchor ? this.#held.length : 0;
    for (let i = 0; i < held && !problem; i++) {
      const line = this.#held[i];
      const canonical = line.subarray(0, line.length - SEAL_SUFFIX);
      const leaf = createHash("sha256").update(LEAF).update(canonical)
        .update(CLOSE).digest();
      head = createHash("sha256").update(head).update(leaf).digest();
      if (hex(head) !== storedHash(line)) {
        problem = `the line of seq ${this.#heldSeqs[i]} does not chain from ${
          i === 0 ? "the chain value before it" : "the line before it"
        } (edited, inserted, deleted or reordered)`;
      }
    }
    const base = {
      lines: held,
      from: this.#from,
      signed: this.#signed,
    };
    if (problem) return { status: "failed", ...base, problem };
    if (this.#gap) return { status: "gap", ...base };
    if (this.#unsealed) return { status: "unsealed", ...base };
    if (this.#truncated) return { status: "truncated", ...base };
    return { status: "ok", ...base };
  }

  /** The session id checked. */
  get session(): string {
    return this.#session;
  }
}

/** The `hash` member's hex digits of a sealed line. */
function storedHash(line: Uint8Array): string {
  return decoder.decode(line.subarray(line.length - HASH_HEX_FROM_END, -2));
}

function fromHex(text: string): Uint8Array | undefined {
  if (!/^[0-9a-f]{64}$/.test(text)) return undefined;
  return Uint8Array.from(text.match(/../g)!.map((h) => parseInt(h, 16)));
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
