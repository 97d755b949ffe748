/**
 * Inclusion proofs for one event: a small bundle holding that event's line,
 * its leaf index, the RFC 6962 audit path to a checkpoint's root, and the
 * checkpoint line, so a reviewer can check one tool call against a signed
 * checkpoint without the rest of the session. Format: docs/evidence.md.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { inclusionProof, verifyInclusion } from "../seal/merkle.ts";
import { checkpointMessage } from "../seal/seal.ts";
import { readLines } from "../log/log_lines.ts";
import type { VerifyKey } from "../seal/signing_key.ts";
import {
  canonicalText,
  isSealedText,
  LEAF_PREFIX,
  SEAL_SUFFIX,
} from "../seal/sealed_line.ts";

/** The `format` member of every bundle. */
export const PROOF_FORMAT = "mcp-audit proof v1";

/** A proof bundle, as written to a `.json` file. */
export interface ProofBundle {
  format: typeof PROOF_FORMAT;
  session: string;
  /** The event's `seq`. */
  seq: number;
  /** The event's position among the session's leaves (lines that are not checkpoints), from 0. */
  leafIndex: number;
  /** The checkpoint's `treeSize`. */
  treeSize: number;
  /** The audit path, hex, from the leaf's sibling up (RFC 9162 section 2.1.3). */
  proof: string[];
  /** The event's line exactly as in the log, without its newline. */
  event: string;
  /** The checkpoint's line exactly as in the log, without its newline. */
  checkpoint: string;
  /** Where the lines came from; informative, not checked. */
  source?: {
    /** The file of the event. */
    path: string;
    eventLine: number;
    checkpointLine: number;
    /** The file of the checkpoint, when it is another part of a rotated log. */
    checkpointPath?: string;
  };
}

/** A proof cannot be made: the event or a covering checkpoint is not in the log. */
export class ProofError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProofError";
  }
}

/** Options for {@linkcode buildProof}. */
export interface BuildProofOptions {
  /** The event's `seq`. */
  seq: number;
  /** The session; may be left out when the log holds one session. */
  session?: string;
  /**
   * Prove against the session's last checkpoint instead of the first one after the event.
   * @default {false}
   */
  final?: boolean;
}

/** The canonical bytes' final `}`, in place of the seal suffix. */
const CLOSE = new Uint8Array([0x7d]);
const LEAF = new Uint8Array([LEAF_PREFIX]);
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Makes the proof bundle for event `seq` of a session in `path`, or in the
 * files `path` lists in order (the parts of a rotated log: the event may be
 * in one and its checkpoint in the next). Holds the leaf hashes of that one
 * session in memory. Throws {@linkcode ProofError} and `LogReadError`.
 *
 * @example
 * ```ts
 * import { Sealer } from "../seal/seal.ts";
 * import { buildProof, verifyProof } from "./proof.ts";
 * import { generateKeyPair, loadSigningKey, loadVerifyKey } from "../seal/signing_key.ts";
 * import assert from "node:assert/strict";
 *
 * const pair = await generateKeyPair();
 * const keyFile = await Deno.makeTempFile();
 * await Deno.writeTextFile(keyFile, pair.privatePem);
 * const pubFile = await Deno.makeTempFile();
 * await Deno.writeTextFile(pubFile, pair.publicPem);
 * const sealer = new Sealer("s", { signingKey: await loadSigningKey(keyFile) });
 * const seal = (line: string, leaf = true) =>
 *   new TextDecoder().decode(sealer.seal(new TextEncoder().encode(line), { leaf }));
 * let log = "";
 * for (let seq = 0; seq < 3; seq++) {
 *   log += seal(`{"v":1,"seq":${seq},"ts":"t","session":"s","kind":"stderr","text":"${seq}"}\n`);
 * }
 * const cp = await sealer.checkpoint();
 * log += seal(`{"v":1,"seq":3,"ts":"t","session":"s","kind":"checkpoint",${JSON.stringify(cp).slice(1, -1)}}\n`, false);
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, log);
 * const bundle = await buildProof(path, { seq: 1 });
 * assert.equal(bundle.leafIndex, 1);
 * assert.deepEqual((await verifyProof(bundle, await loadVerifyKey(pubFile))).problems, []);
 * for (const f of [keyFile, pubFile, path]) await Deno.remove(f);
 * ```
 */
export async function buildProof(
  path: string | string[],
  options: BuildProofOptions,
): Promise<ProofBundle> {
  const paths = typeof path === "string" ? [path] : path;
  const session = options.session ??
    await onlySession(paths, namedFiles(paths));
  const [bundle] = await buildProofs(paths, {
    session,
    seqs: [options.seq],
    final: options.final,
  });
  return bundle;
}

/** Options for {@linkcode buildProofs}. */
export interface BuildProofsOptions {
  /** The session. */
  session: string;
  /** The events' `seq`s. */
  seqs: readonly number[];
  /**
   * Prove against the session's last checkpoint instead of the first one after each event.
   * @default {false}
   */
  final?: boolean;
}

/**
 * Makes the proof bundles of several events of one session, in the order
 * of `options.seqs`, reading the log once (as {@linkcode buildProof} does
 * for one). Throws {@linkcode ProofError} for the first that cannot be
 * proved, and `LogReadError`.
 *
 * @example
 * ```ts
 * import { Sealer } from "../seal/seal.ts";
 * import { buildProofs } from "./proof.ts";
 * import assert from "node:assert/strict";
 *
 * const sealer = new Sealer("s", {});
 * const seal = (line: string, leaf = true) =>
 *   new TextDecoder().decode(sealer.seal(new TextEncoder().encode(line), { leaf }));
 * let log = "";
 * for (let seq = 0; seq < 3; seq++) {
 *   log += seal(`{"v":1,"seq":${seq},"ts":"t","session":"s","kind":"stderr","text":"${seq}"}\n`);
 * }
 * const cp = await sealer.checkpoint();
 * log += seal(`{"v":1,"seq":3,"ts":"t","session":"s","kind":"checkpoint",${JSON.stringify(cp).slice(1, -1)}}\n`, false);
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, log);
 * const bundles = await buildProofs(path, { session: "s", seqs: [2, 0] });
 * assert.deepEqual(bundles.map((b) => [b.seq, b.leafIndex, b.treeSize]), [[2, 2, 3], [0, 0, 3]]);
 * await Deno.remove(path);
 * ```
 */
export async function buildProofs(
  path: string | string[],
  options: BuildProofsOptions,
): Promise<ProofBundle[]> {
  const results = await proofResults(path, options);
  return results.map((r) => {
    if (r instanceof ProofError) throw r;
    return r;
  });
}

/**
 * The proof bundle of each of `options.seqs` that can be proved, by seq,
 * reading the log once: {@linkcode buildProofs} without the errors (an
 * event after the session's last checkpoint has none). Throws
 * `LogReadError`, and {@linkcode ProofError} for lost events.
 *
 * @example
 * ```ts
 * import { provableBundles } from "./proof.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, '{"v":1,"seq":0,"ts":"t","session":"s","kind":"stderr","text":"unsealed"}\n');
 * assert.equal((await provableBundles(path, { session: "s", seqs: [0] })).size, 0);
 * await Deno.remove(path);
 * ```
 */
export async function provableBundles(
  path: string | string[],
  options: BuildProofsOptions,
): Promise<Map<number, ProofBundle>> {
  const results = await proofResults(path, options);
  const out = new Map<number, ProofBundle>();
  results.forEach((r, i) => {
    if (!(r instanceof ProofError)) out.set(options.seqs[i], r);
  });
  return out;
}

async function proofResults(
  path: string | string[],
  options: BuildProofsOptions,
): Promise<(ProofBundle | ProofError)[]> {
  const paths = typeof path === "string" ? [path] : path;
  const named = namedFiles(paths);
  const { session } = options;
  const wanted = new Set(options.seqs);
  const leaves: Uint8Array[] = [];
  interface Found {
    text: string;
    path: string;
    line: number;
    leafIndex: number;
    checkpoint?: Checkpoint;
  }
  interface Checkpoint {
    text: string;
    path: string;
    line: number;
    size: number;
  }
  const found = new Map<number, Found>();
  /** Events found that no checkpoint has followed yet. */
  let uncovered: Found[] = [];
  let last: Checkpoint | undefined;
  let done = false;
  for (const path of paths) {
    if (done) break;
    await readLines(path, (bytes, line, terminated) => {
      if (done || !terminated) return;
      const parsed = parse(bytes);
      if (!parsed || parsed.record.session !== session) return;
      const { record, text } = parsed;
      if (!isSealedText(text)) {
        if (record.kind === "gap" && found.size < wanted.size) {
          const seq = Math.min(
            ...[...wanted].filter((s) => !found.has(s)),
          );
          throw new ProofError(
            `Cannot prove seq ${seq}: events were lost before it (the gap at ${path}:${line}), so its leaf index is unknown.`,
          );
        }
        return;
      }
      const body = bytes.subarray(0, bytes.length - SEAL_SUFFIX);
      if (record.kind === "checkpoint") {
        last = { text, path, line, size: Number(record.treeSize) };
        for (const f of uncovered) f.checkpoint = last;
        uncovered = [];
        // Each event has its first checkpoint after it: nothing more to read.
        if (!options.final && found.size === wanted.size) done = true;
        return;
      }
      const seq = record.seq as number;
      if (wanted.has(seq) && !found.has(seq)) {
        const f = { text, path, line, leafIndex: leaves.length };
        found.set(seq, f);
        uncovered.push(f);
      }
      leaves.push(
        createHash("sha256").update(LEAF).update(body).update(CLOSE).digest(),
      );
    });
  }
  return options.seqs.map((seq): ProofBundle | ProofError => {
    const event = found.get(seq);
    if (!event) {
      return new ProofError(
        `No event with seq ${seq} in session ${session} of ${named} (checkpoints cannot be proved: they are not leaves).`,
      );
    }
    const checkpoint = options.final ? last : event.checkpoint;
    if (!checkpoint) {
      return new ProofError(
        `No checkpoint after seq ${seq} in session ${session} of ${named}: the session ended before one was written, or it is in a later part of a rotated log not given (give every part, or the first: its parts are found by name), so nothing here covers the event.`,
      );
    }
    if (checkpoint.size > leaves.length || checkpoint.size <= event.leafIndex) {
      return new ProofError(
        `The checkpoint at ${checkpoint.path}:${checkpoint.line} records treeSize ${checkpoint.size}, which does not match the log; run "mcp-audit verify" on it.`,
      );
    }
    const proof = inclusionProof(
      leaves.slice(0, checkpoint.size),
      event.leafIndex,
    );
    return {
      format: PROOF_FORMAT,
      session,
      seq,
      leafIndex: event.leafIndex,
      treeSize: checkpoint.size,
      proof: proof.map((hash) => hash.toHex()),
      event: event.text,
      checkpoint: checkpoint.text,
      source: {
        path: event.path,
        eventLine: event.line,
        checkpointLine: checkpoint.line,
        ...(checkpoint.path !== event.path
          ? { checkpointPath: checkpoint.path }
          : {}),
      },
    };
  });
}

/** The files, quoted, for messages. */
function namedFiles(paths: readonly string[]): string {
  return paths.length === 1 ? `"${paths[0]}"` : `"${paths.join('", "')}"`;
}

async function onlySession(paths: string[], named: string): Promise<string> {
  const sessions = new Set<string>();
  for (const path of paths) {
    await readLines(path, (bytes, _line, terminated) => {
      if (!terminated) return;
      const parsed = parse(bytes);
      if (parsed && typeof parsed.record.session === "string") {
        sessions.add(parsed.record.session);
      }
    });
  }
  if (sessions.size === 1) return [...sessions][0];
  if (sessions.size === 0) {
    throw new ProofError(`${named} holds no events.`);
  }
  throw new ProofError(
    `${named} holds ${sessions.size} sessions; choose one with --session (${
      [...sessions].join(", ")
    }).`,
  );
}

/** What {@linkcode verifyProof} found. */
export interface ProofCheck {
  /** Empty when the bundle proves its event. */
  problems: string[];
  session?: string;
  seq?: number;
  kind?: string;
  tool?: string;
  treeSize?: number;
  root?: string;
  keyId?: string;
}

/**
 * Checks a proof bundle: the event's leaf hash from its canonical bytes, the
 * audit path up to the checkpoint's root, and the checkpoint's signature
 * with `key`. See the example of {@linkcode buildProof}.
 *
 * @example A bundle that is not one
 * ```ts
 * import { verifyProof } from "./proof.ts";
 * import assert from "node:assert/strict";
 *
 * const pair = await crypto.subtle.generateKey("Ed25519", true, ["sign", "verify"]) as CryptoKeyPair;
 * const check = await verifyProof({}, { publicKey: pair.publicKey, keyId: "x" });
 * assert.ok(check.problems.length > 0);
 * ```
 */
export async function verifyProof(
  bundle: unknown,
  key: VerifyKey,
): Promise<ProofCheck> {
  const problems: string[] = [];
  const b = (bundle ?? {}) as Partial<ProofBundle>;
  if (b.format !== PROOF_FORMAT) {
    return {
      problems: [`not a proof bundle: "format" is not "${PROOF_FORMAT}"`],
    };
  }
  if (
    typeof b.event !== "string" || typeof b.checkpoint !== "string" ||
    !Array.isArray(b.proof) || typeof b.leafIndex !== "number"
  ) {
    return {
      problems: [
        "the bundle lacks event, checkpoint, proof or leafIndex",
      ],
    };
  }
  const event = parseText(b.event);
  const cp = parseText(b.checkpoint);
  if (!event || !isSealedText(b.event)) {
    problems.push("the event line is not a sealed JSON log line");
  }
  if (!cp || !isSealedText(b.checkpoint) || cp.kind !== "checkpoint") {
    problems.push("the checkpoint line is not a sealed checkpoint line");
  }
  if (!event || !cp || problems.length > 0) return { problems };
  const check: ProofCheck = {
    problems,
    session: String(event.session),
    seq: Number(event.seq),
    kind: String(event.kind),
    tool: typeof event.tool === "string" ? event.tool : undefined,
    treeSize: Number(cp.treeSize),
    root: String(cp.root),
    keyId: typeof cp.keyId === "string" ? cp.keyId : undefined,
  };
  if (event.kind === "checkpoint") {
    problems.push("the event is a checkpoint, which is not a leaf");
  }
  if (event.session !== cp.session || event.session !== b.session) {
    problems.push("the event and the checkpoint are from different sessions");
  }
  if (event.seq !== b.seq) {
    problems.push(`the event has seq ${event.seq}, the bundle says ${b.seq}`);
  }
  const size = Number(cp.treeSize);
  if (!Number.isInteger(size) || b.leafIndex < 0 || b.leafIndex >= size) {
    problems.push(
      `leaf index ${b.leafIndex} is not in the checkpoint's tree of ${cp.treeSize}`,
    );
  }
  const canonical = new TextEncoder().encode(canonicalText(b.event));
  const leaf = createHash("sha256").update(LEAF).update(canonical).digest();
  const path = b.proof.map((h) => fromHex(String(h)));
  if (
    path.some((p) => p === undefined) ||
    !verifyInclusion(
      leaf,
      b.leafIndex,
      size,
      path as Uint8Array[],
      fromHex(String(cp.root)) ?? new Uint8Array(),
    )
  ) {
    problems.push(
      "the inclusion proof does not lead from the event to the checkpoint's root: the event or the proof was changed",
    );
  }
  if (typeof cp.signature !== "string") {
    problems.push("the checkpoint is not signed");
  } else if (cp.keyId !== key.keyId) {
    problems.push(
      `the checkpoint is signed with key ${cp.keyId}, not with the given key ${key.keyId}`,
    );
  } else {
    let valid = false;
    try {
      valid = await crypto.subtle.verify(
        "Ed25519",
        key.publicKey,
        Uint8Array.fromBase64(cp.signature),
        checkpointMessage(
          String(cp.session),
          size,
          String(cp.root),
          String(cp.head),
        ) as Uint8Array<ArrayBuffer>,
      );
    } catch {
      valid = false;
    }
    if (!valid) {
      problems.push(
        "the checkpoint's signature does not verify: the checkpoint was forged or changed",
      );
    }
  }
  return check;
}

function parse(
  bytes: Uint8Array,
): { record: Record<string, unknown>; text: string } | undefined {
  try {
    const text = decoder.decode(bytes);
    const record = JSON.parse(text);
    return typeof record === "object" && record !== null
      ? { record, text }
      : undefined;
  } catch {
    return undefined;
  }
}

function parseText(text: string): Record<string, unknown> | undefined {
  try {
    const record = JSON.parse(text);
    return typeof record === "object" && record !== null ? record : undefined;
  } catch {
    return undefined;
  }
}

function fromHex(text: string): Uint8Array | undefined {
  // Lowercase only, as written: fromHex would take uppercase too.
  return /^[0-9a-f]{64}$/.test(text) ? Uint8Array.fromHex(text) : undefined;
}
