/**
 * The reading side of tamper evidence: checks the hash chain, the RFC 6962
 * tree roots and the checkpoint signatures of logs written by the proxy
 * (docs/evidence.md), streaming, with constant memory per session (the chain
 * head and the Merkle compact stack). Every problem is reported with its
 * file and line and sorted into what it means: tampering, or a log that stops
 * short (a crash) and so cannot be fully checked. Ordinary lines are taken
 * by the fast path (`_verify_fast_path.ts`); `verify_text.ts` prints the
 * report.
 *
 * @module
 */
import { sha256Range } from "../seal/_sha256.ts";
import { hashFromAscii } from "../seal/_hex.ts";
import { MerkleBuilder } from "../seal/merkle.ts";
import { orderLogFiles } from "../log/log_path.ts";
import { chainStart, checkpointMessage } from "../seal/seal.ts";
import { readLineRanges } from "../log/log_lines.ts";
import type { VerifyKey } from "../seal/signing_key.ts";
import {
  HASH_HEX_FROM_END,
  isSealed,
  LEAF_PREFIX,
  SEAL_SUFFIX,
} from "../seal/sealed_line.ts";
import { fastHeader, FastPath } from "./_verify_fast_path.ts";
import { proxyRunning } from "./proxy_running.ts";

/** Where a line is: the file and its 1-based line number. */
export interface LineLocation {
  /** The file. */
  path: string;
  /** The 1-based line number. */
  line: number;
}

/**
 * What a finding means. `failure`: the log was changed or a checkpoint
 * forged, or a required signature is missing. `incomplete`: the log is
 * intact as far as it goes but does not cover everything (a crash, lost
 * events, lines written without hashes). `note`: for information.
 */
export type Severity = "failure" | "incomplete" | "note";

/** The kinds of finding, documented in docs/evidence.md. */
export type FindingKind =
  | "edited"
  | "inserted"
  | "deleted"
  | "reordered"
  | "forged_checkpoint"
  | "wrong_key"
  | "bad_signature"
  | "unsigned_checkpoint"
  | "bad_session_start"
  | "bad_session_end"
  | "after_session_end"
  | "invalid_line"
  | "truncated_tail"
  | "gap"
  | "unsealed"
  | "missing_session_end"
  | "missing_final_checkpoint"
  | "signatures_not_checked";

/** One problem (or note), at one line. */
export interface Finding extends LineLocation {
  /** What was found. */
  kind: FindingKind;
  /** How bad it is. */
  severity: Severity;
  /** The session the line belongs to, when known. */
  session?: string;
  /** The line's `seq`, when known. */
  seq?: number;
  /** A sentence saying what is wrong and what it means. */
  message: string;
}

/** The outcome for one session. */
export interface SessionVerdict {
  /** The session id. */
  session: string;
  /** Its outcome. */
  status: VerifyStatus;
  /** The first line of the session. */
  first: LineLocation;
  /** The last line of the session. */
  last: LineLocation;
  /** Lines of the session (checkpoints included). */
  lines: number;
  /** Leaves of its Merkle tree (lines that are not checkpoints). */
  events: number;
  /** Checkpoint lines. */
  checkpoints: number;
  /** Checkpoint lines with a signature. */
  signedCheckpoints: number;
  /** Signatures checked and found valid with the given key. */
  verifiedSignatures: number;
  /** Key ids the checkpoints name. */
  keyIds: string[];
  /** The session has a `session_end` followed by a final checkpoint. */
  finished: boolean;
  /** Events its `gap` lines say the writer lost. */
  lostEvents: number;
}

/**
 * `verified`: everything holds; `failed`: something does not; `incomplete`:
 * nothing contradicts, but not everything could be checked; `gap`: nothing
 * contradicts and nothing else is missing, but the writer recorded events
 * it could not write (`gap` lines: a write failed, e.g. the disk was full).
 */
export type VerifyStatus = "verified" | "failed" | "incomplete" | "gap";

/** What {@linkcode verifyLogs} returns. */
export interface VerifyReport {
  /** The outcome over every session. */
  status: VerifyStatus;
  /** `checked`: with a public key; `not_checked`: signed checkpoints but no key; `none`: no signed checkpoints seen. */
  signatures: "checked" | "not_checked" | "none";
  /** The id of the key signatures were checked with. */
  keyId?: string;
  /** The files read, in order. */
  files: string[];
  /** One verdict per session. */
  sessions: SessionVerdict[];
  /** Problems and notes, in the order of the files and lines. */
  findings: Finding[];
  /** Findings not listed because there were more than `maxFindings`. */
  omittedFindings: number;
  /** Bytes read. */
  bytes: number;
}

/** Options for {@linkcode verifyLogs}. */
export interface VerifyOptions {
  /** Checks signatures with this key; then unsigned checkpoints and other keys fail. */
  publicKey?: VerifyKey;
  /**
   * Fail when signatures cannot be checked (no key) or a checkpoint is unsigned.
   * @default {false}
   */
  requireSignature?: boolean;
  /**
   * Findings kept in the report; the rest are counted.
   * @default {1000}
   */
  maxFindings?: number;
}

const defaults = {
  requireSignature: false,
  maxFindings: 1000,
} satisfies VerifyOptions;

const decoder = new TextDecoder("utf-8", { fatal: true });
const lossy = new TextDecoder();
/** Missing seqs remembered per session to recognise a reordering later. */
const MAX_MISSING = 1024;

interface SessionState {
  id: string;
  /** The chain value the next line must extend. */
  head: Uint8Array;
  /** Stored hash of the line before the last sealed one. */
  beforeLast?: Uint8Array;
  /** Arrays the fast path writes chain values into, in turn. */
  pool: [Uint8Array, Uint8Array, Uint8Array];
  tree: MerkleBuilder;
  /** The tree cannot be checked: events were lost (a gap). */
  treeLost?: LineLocation;
  /** Lines the gap records say were lost. */
  lostLines: number;
  /** The next sealed line cannot be chained (after a gap). */
  resync: boolean;
  expectedSeq: number;
  first: LineLocation;
  last: LineLocation;
  lastSeq: number;
  lines: number;
  sealed: number;
  /** Finding on the previous line of this session, to amend. */
  lastFinding?: Finding;
  lastLocation?: LineLocation;
  /** The previous line was found out of order. */
  lastReordered: boolean;
  missing: Map<number, Finding>;
  unsealed: LineLocation[];
  unsealedCount: number;
  end?: LineLocation;
  /** The proxy's pid, from session_start: a session without an end may still be running. */
  proxyPid?: number;
  finalCheckpoint: boolean;
  checkpoints: number;
  signed: number;
  verifiedSignatures: number;
  keyIds: Set<string>;
  /** Leaves covered by the last checkpoint. */
  covered: number;
  problems: { failure: boolean; incomplete: boolean; gap: boolean };
}

/**
 * Verifies one or more logs. Lines are grouped by their `session` member;
 * a session may span files (given in order) and a file may hold several
 * sessions. Throws `LogReadError` when a file cannot be read.
 *
 * @example A clean log verifies; one changed byte does not
 * ```ts
 * import { Sealer } from "../seal/seal.ts";
 * import { verifyLogs } from "./verify.ts";
 * import assert from "node:assert/strict";
 *
 * const sealer = new Sealer("s");
 * const seal = (line: string, leaf = true) =>
 *   new TextDecoder().decode(sealer.seal(new TextEncoder().encode(line), { leaf }));
 * let log = "";
 * for (const [seq, kind] of ["session_start", "request", "session_end"].entries()) {
 *   log += seal(`{"v":1,"seq":${seq},"ts":"t","session":"s","kind":"${kind}"}\n`);
 * }
 * const cp = await sealer.checkpoint();
 * log += seal(`{"v":1,"seq":3,"ts":"t","session":"s","kind":"checkpoint","treeSize":${cp.treeSize},"root":"${cp.root}","head":"${cp.head}"}\n`, false);
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, log);
 * assert.equal((await verifyLogs([path])).status, "verified");
 * await Deno.writeTextFile(path, log.replace('"request"', '"requesT"'));
 * const report = await verifyLogs([path]);
 * assert.equal(report.status, "failed");
 * const problems = report.findings.filter((f) => f.severity !== "note");
 * assert.deepEqual(problems.map((f) => [f.line, f.kind]), [[2, "edited"], [4, "forged_checkpoint"]]);
 * await Deno.remove(path);
 * ```
 */
export async function verifyLogs(
  paths: string[],
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const verifier = new LogVerifier(options);
  for (const path of paths) await verifier.readFile(path);
  return verifier.finish();
}

/**
 * Verifies one log: a file, or the parts of a rotated log (put in part order).
 * The same checks as `mcp-audit verify`; see {@linkcode verifyLogs}.
 *
 * @example
 * ```ts
 * import { Sealer } from "../seal/seal.ts";
 * import { verifyLog } from "./verify.ts";
 * import assert from "node:assert/strict";
 *
 * const sealer = new Sealer("s");
 * const seal = (line: string, leaf = true) =>
 *   new TextDecoder().decode(sealer.seal(new TextEncoder().encode(line), { leaf }));
 * let log = seal('{"v":1,"seq":0,"ts":"t","session":"s","kind":"session_start"}\n');
 * log += seal('{"v":1,"seq":1,"ts":"t","session":"s","kind":"session_end"}\n');
 * const cp = await sealer.checkpoint();
 * log += seal(`{"v":1,"seq":2,"ts":"t","session":"s","kind":"checkpoint","treeSize":${cp.treeSize},"root":"${cp.root}","head":"${cp.head}"}\n`, false);
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, log);
 * assert.equal((await verifyLog(path)).status, "verified");
 * await Deno.remove(path);
 * ```
 */
export async function verifyLog(
  path: string | string[],
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  return await verifyLogs(
    typeof path === "string" ? [path] : orderLogFiles(path),
    options,
  );
}

/**
 * The streaming verifier: feed it files (or lines) in order, then
 * {@linkcode LogVerifier.finish}.
 *
 * @example
 * ```ts
 * import { LogVerifier } from "./verify.ts";
 * import assert from "node:assert/strict";
 *
 * const verifier = new LogVerifier();
 * await verifier.line("a.jsonl", 1, new TextEncoder().encode('{"v":1,"seq":0,"session":"s","kind":"x"}'), true);
 * const report = verifier.finish();
 * assert.deepEqual(report.findings.map((f) => f.kind), [
 *   "unsealed", "missing_session_end", "signatures_not_checked",
 * ]);
 * ```
 */
export class LogVerifier {
  #options: VerifyOptions;
  #sessions = new Map<string, SessionState>();
  #findings: Finding[] = [];
  #omitted = 0;
  #files: string[] = [];
  #bytes = 0;
  /** The session of the last line read: the fast path's candidate. */
  #lastState?: SessionState;
  /** Takes the ordinary lines off {@linkcode LogVerifier.line}. */
  #fast = new FastPath<SessionState>({
    candidate: () => this.#lastState,
    extend: (state, path, line, seq, leaves, at, link) =>
      this.#extend(state, path, line, seq, leaves, at, link),
    check: (path, line, bytes, terminated) =>
      this.line(path, line, bytes, terminated),
  });
  #anySigned = false;

  /** A verifier with `options`. */
  constructor(options: VerifyOptions = {}) {
    this.#options = options;
  }

  /** Reads and verifies every line of `path`. */
  async readFile(path: string): Promise<void> {
    this.beginFile(path);
    const bytes = await readLineRanges(
      path,
      (buf, start, end, line, terminated) =>
        this.lineRange(path, buf, start, end, line, terminated),
    );
    await this.endFile(bytes);
  }

  /**
   * Starts a file that the caller reads itself, handing every line in order
   * to {@linkcode LogVerifier.lineRange} and then calling
   * {@linkcode LogVerifier.endFile}: the same checks as
   * {@linkcode LogVerifier.readFile}, for a reader that does more with each
   * line (`ship` builds its rows in the same pass).
   *
   * @example
   * ```ts
   * import { LogVerifier } from "./verify.ts";
   * import assert from "node:assert/strict";
   *
   * const verifier = new LogVerifier();
   * const line = new TextEncoder().encode('{"v":1,"seq":0,"session":"s","kind":"x"}');
   * verifier.beginFile("a.jsonl");
   * await verifier.lineRange("a.jsonl", line, 0, line.length, 1, true);
   * await verifier.endFile(line.length + 1);
   * assert.equal(verifier.finish().findings[0].kind, "unsealed");
   * ```
   */
  beginFile(path: string): void {
    this.#files.push(path);
    this.#lastState = undefined;
  }

  /**
   * Verifies line `line` of the file begun, `buf[start, end)` without its
   * newline (a CR before it kept); `terminated` is false for a last line
   * without one. When it returns a promise, `buf` must stay as it is until
   * that settles.
   */
  lineRange(
    path: string,
    buf: Uint8Array,
    start: number,
    end: number,
    line: number,
    terminated: boolean,
  ): Promise<void> | undefined {
    return this.#fast.read(path, buf, start, end, line, terminated);
  }

  /** Ends the file begun, of `bytes` bytes in all. */
  async endFile(bytes: number): Promise<void> {
    this.#bytes += bytes;
    await this.#fast.flush();
  }

  /**
   * What {@linkcode LogVerifier.#event} does for a line that extends the
   * chain, with chain value `link`: for the fast path.
   */
  #extend(
    state: SessionState,
    path: string,
    line: number,
    seq: number,
    leaves: Uint8Array,
    leaf: number,
    link: Uint8Array,
  ): void {
    const here = { path, line };
    state.lines++;
    state.last = here;
    state.lastSeq = seq;
    state.lastFinding = undefined;
    state.lastLocation = here;
    state.lastReordered = false;
    state.sealed++;
    // The new head goes into whichever of the session's three arrays is
    // neither the head nor the hash before it: nothing else keeps them.
    const pool = state.pool;
    const head = pool[0] !== state.head && pool[0] !== state.beforeLast
      ? pool[0]
      : pool[1] !== state.head && pool[1] !== state.beforeLast
      ? pool[1]
      : pool[2];
    head.set(link);
    state.beforeLast = state.head;
    state.head = head;
    state.expectedSeq = Math.max(state.expectedSeq, seq + 1);
    state.tree.append(leaves, leaf);
  }

  /** Verifies one line; `bytes` without its `\n`. */
  line(
    path: string,
    line: number,
    bytes: Uint8Array,
    terminated: boolean,
  ): Promise<void> | undefined {
    if (bytes.length === 0) return undefined;
    if (!terminated) {
      this.#truncated(path, line, bytes);
      return undefined;
    }
    const fast = fastHeader(bytes, this.#lastSession);
    // An unsealed line is parsed whole: it may be a cut-short line with the
    // next one glued on (older writers after a failed write).
    if (fast && isSealed(bytes)) {
      this.#lastSession = fast.session;
      return this.#event(path, line, bytes, fast);
    }
    let text: string;
    let record: Record<string, unknown>;
    try {
      text = decoder.decode(bytes);
      record = JSON.parse(text);
      if (typeof record !== "object" || record === null) throw new TypeError();
    } catch {
      return this.#damaged(path, line, bytes);
    }
    return this.#event(path, line, bytes, record);
  }

  #truncated(path: string, line: number, bytes: Uint8Array): void {
    const text = lossy.decode(bytes.subarray(0, 4096));
    const session = /"session":"([^"\\]*)"/.exec(text)?.[1];
    const seq = /^\{"v":\d+,"seq":(\d+)/.exec(text)?.[1];
    this.#add({
      path,
      line,
      kind: "truncated_tail",
      severity: "incomplete",
      session,
      seq: seq === undefined ? undefined : Number(seq),
      message:
        `line ${line} is incomplete (${bytes.length} bytes, no newline): the event being written when the writer stopped (a crash or kill); not evidence of tampering`,
    });
  }

  /**
   * A terminated line that is not JSON. A crash can leave a partial line to
   * which the next session's first line is appended: recognise that.
   */
  #damaged(
    path: string,
    line: number,
    bytes: Uint8Array,
  ): Promise<void> | undefined {
    const text = lossy.decode(bytes);
    const at = text.lastIndexOf('{"v":');
    if (at > 0) {
      try {
        const rest = JSON.parse(text.slice(at));
        const restBytes = new TextEncoder().encode(text.slice(at));
        this.#add({
          path,
          line,
          kind: "truncated_tail",
          severity: "incomplete",
          message: `line ${line} starts with an incomplete event (${
            bytes.length - restBytes.length
          } bytes) left by a crash, to which the next line was appended; not evidence of tampering`,
        });
        return this.#event(path, line, restBytes, rest);
      } catch {
        // Not that case: the line is damaged.
      }
    }
    this.#lastInvalid = this.#add({
      path,
      line,
      kind: "invalid_line",
      severity: "failure",
      message:
        `line ${line} is not a JSON object: the log was damaged or edited`,
    });
    return undefined;
  }

  #event(
    path: string,
    line: number,
    bytes: Uint8Array,
    record: Record<string, unknown>,
  ): Promise<void> | undefined {
    const session = record.session;
    const seq = record.seq;
    const kind = record.kind;
    if (
      typeof session !== "string" || typeof seq !== "number" ||
      typeof kind !== "string"
    ) {
      this.#add({
        path,
        line,
        kind: "invalid_line",
        severity: "failure",
        message:
          `line ${line} has no valid "session", "seq" or "kind": it is not an audit event`,
      });
      return undefined;
    }
    const here = { path, line };
    let state = this.#sessions.get(session);
    if (!state) {
      state = newSession(session, here);
      this.#sessions.set(session, state);
    }
    this.#lastState = state;
    state.lines++;
    state.last = here;
    state.lastSeq = seq;
    const previousFinding = state.lastFinding;
    const previousLocation = state.lastLocation;
    const previousReordered = state.lastReordered;
    state.lastFinding = undefined;
    state.lastLocation = here;
    state.lastReordered = false;

    if (state.end && !(kind === "checkpoint" && !state.finalCheckpoint)) {
      this.#add({
        ...here,
        kind: "after_session_end",
        severity: "failure",
        session,
        seq,
        message:
          `line ${line} (seq ${seq}, ${kind}) comes after the session's end and its final checkpoint: it was appended later`,
      }, state);
    }

    if (!isSealed(bytes)) {
      this.#unsealed(state, here, seq, kind, record);
      return undefined;
    }
    state.sealed++;
    const n = bytes.length;
    const body = bytes.subarray(0, n - SEAL_SUFFIX);
    const stored = hashFromAscii(bytes, n - HASH_HEX_FROM_END);
    const before = state.head;
    // The canonical bytes go once into the scratch buffer after a 0x00
    // prefix: that is the leaf hash; the chain hashes the previous hash and it.
    const scratch = this.#scratchFor(body.length);
    scratch.set(body, 32);
    scratch[32 + body.length] = 0x7d;
    scratch[31] = LEAF_PREFIX;
    const leaf = new Uint8Array(32);
    sha256Range(scratch, 31, 33 + body.length, leaf);
    const link = chainLink(before, leaf);

    if (state.resync) {
      // After lost events the chain resumes here; the gap was reported.
      state.resync = false;
    } else if (!equal(link, stored)) {
      // The chain decides; seq only says what kind of break it is. (A valid
      // chain with seqs out of order is what the writer wrote.)
      const missing = seq < state.expectedSeq
        ? state.missing.get(seq)
        : undefined;
      if (missing) {
        state.missing.delete(seq);
        missing.kind = "reordered";
        missing.message =
          `line ${missing.line} is out of order: seq ${seq} (line ${line}) belongs before it; lines were swapped or moved`;
        state.lastReordered = true;
      } else if (
        state.beforeLast &&
        equal(chainLink(state.beforeLast, leaf), stored)
      ) {
        // This line extends the line before the previous one.
        if (!previousReordered && previousLocation) {
          const message =
            `line ${previousLocation.line} was inserted: line ${line} follows the line before it directly`;
          if (previousFinding) {
            previousFinding.kind = "inserted";
            previousFinding.message = message;
          } else {
            this.#add({
              ...previousLocation,
              kind: "inserted",
              severity: "failure",
              session,
              message,
            }, state);
          }
        }
      } else if (seq > state.expectedSeq) {
        const from = state.expectedSeq;
        const finding = this.#add({
          ...here,
          kind: "deleted",
          severity: "failure",
          session,
          seq,
          message: `${
            seq - from === 1
              ? `the line with seq ${from} is`
              : `the lines with seq ${from} to ${seq - 1} are`
          } missing before line ${line}: deleted`,
        }, state);
        if (finding && seq - from <= MAX_MISSING) {
          for (let s = from; s < seq; s++) {
            if (state.missing.size >= MAX_MISSING) break;
            state.missing.set(s, finding);
          }
        }
      } else if (seq < state.expectedSeq) {
        this.#add({
          ...here,
          kind: "inserted",
          severity: "failure",
          session,
          seq,
          message: `line ${line} has seq ${seq}, but seq ${
            state.expectedSeq - 1
          } came already: inserted or duplicated`,
        }, state);
      } else {
        this.#add({
          ...here,
          kind: "edited",
          severity: "failure",
          session,
          seq,
          message:
            `line ${line} (seq ${seq}, ${kind}) does not match its hash: it was edited, or the line before it was replaced`,
        }, state);
      }
    }
    state.head = stored;
    state.beforeLast = before;
    state.expectedSeq = Math.max(state.expectedSeq, seq + 1);

    if (kind === "checkpoint") {
      return this.#checkpoint(state, here, seq, before, record);
    }
    state.tree.append(leaf);
    if (kind === "session_start") this.#sessionStart(state, here, record);
    if (kind === "session_end") this.#sessionEnd(state, here, before, record);
    return undefined;
  }

  #unsealed(
    state: SessionState,
    here: LineLocation,
    seq: number,
    kind: string,
    record: Record<string, unknown>,
  ): void {
    if (kind === "gap") {
      this.#gap(state, here, seq, record);
      return;
    }
    if (state.sealed > 0) {
      this.#add({
        ...here,
        kind: "inserted",
        severity: "failure",
        session: state.id,
        seq,
        message:
          `line ${here.line} (seq ${seq}, ${kind}) has no hash in a sealed session: it was inserted`,
      }, state);
      return;
    }
    // Either a log from before tamper evidence, or lines inserted before
    // the first sealed one: decided when the session is finished.
    state.unsealedCount++;
    if (state.unsealed.length < 100) state.unsealed.push(here);
  }

  /**
   * A gap record: the writer lost seqs `fromSeq` to `toSeq`. With `head`
   * (the last lost line's hash) the chain is checked on across the gap;
   * the tree roots after it cannot be, as the lost leaves are unknown.
   */
  #gap(
    state: SessionState,
    here: LineLocation,
    seq: number,
    record: Record<string, unknown>,
  ): void {
    const lost = typeof record.lost === "number" ? record.lost : 0;
    const from = typeof record.fromSeq === "number" ? record.fromSeq : seq;
    const to = typeof record.toSeq === "number"
      ? record.toSeq
      : from + lost - 1;
    const head = typeof record.head === "string" &&
        /^[0-9a-f]{64}$/.test(record.head)
      ? Uint8Array.fromHex(record.head)
      : undefined;
    const torn = typeof record.torn === "number" ? record.torn : 0;
    const invalid = this.#lastInvalid;
    if (
      torn > 0 && invalid && invalid.path === here.path &&
      invalid.line === here.line - 1
    ) {
      // The line the failed write cut short and could not cut off.
      invalid.kind = "gap";
      invalid.severity = "incomplete";
      invalid.session = state.id;
      invalid.message =
        `line ${invalid.line} was cut short by the failed write that line ${here.line} records (${torn} bytes); not evidence of tampering`;
      state.problems.gap = true;
    }
    this.#add({
      ...here,
      kind: "gap",
      severity: "incomplete",
      session: state.id,
      seq,
      message: `line ${here.line} records ${lost} event(s) lost (seq ${from}${
        to > from ? ` to ${to}` : ""
      }, ${
        String(record.reason ?? "")
      }): the writer could not write them (e.g. the disk was full); ${
        head
          ? "the chain is checked across the gap"
          : "the chain resumes after it"
      }, and the tree roots after it cannot be checked`,
    }, state);
    if (head) {
      state.head = head;
      state.beforeLast = undefined;
      state.resync = false;
    } else {
      state.resync = true;
    }
    state.treeLost ??= here;
    state.lostLines += Math.max(lost, 0);
    state.expectedSeq = Math.max(state.expectedSeq, to + 1);
  }

  #sessionStart(
    state: SessionState,
    here: LineLocation,
    record: Record<string, unknown>,
  ): void {
    if (typeof record.proxyPid === "number") state.proxyPid = record.proxyPid;
    const expected = chainStart(state.id).toHex();
    if (record.chainStart !== undefined && record.chainStart !== expected) {
      this.#add({
        ...here,
        kind: "bad_session_start",
        severity: "failure",
        session: state.id,
        message:
          `line ${here.line} records chainStart "${record.chainStart}", but the session id gives "${expected}"`,
      }, state);
    }
  }

  #sessionEnd(
    state: SessionState,
    here: LineLocation,
    before: Uint8Array,
    record: Record<string, unknown>,
  ): void {
    state.end = here;
    const chain = record.chain as { head?: unknown; events?: unknown };
    if (
      chain && typeof chain === "object" &&
      (chain.head !== before.toHex() || chain.events !== record.seq)
    ) {
      this.#add({
        ...here,
        kind: "bad_session_end",
        severity: "failure",
        session: state.id,
        seq: record.seq as number,
        message:
          `line ${here.line}: session_end's chain record (head, events) does not match the lines before it`,
      }, state);
    }
  }

  async #checkpoint(
    state: SessionState,
    here: LineLocation,
    seq: number,
    before: Uint8Array,
    record: Record<string, unknown>,
  ): Promise<void> {
    state.checkpoints++;
    const size = state.tree.size;
    const problems: string[] = [];
    if (record.head !== before.toHex()) {
      problems.push("its head is not the hash of the line before it");
    }
    if (state.treeLost) {
      // Lost lines were leaves, or checkpoints: between the two.
      const treeSize = Number(record.treeSize);
      if (
        !Number.isInteger(treeSize) || treeSize < size ||
        treeSize > size + state.lostLines
      ) {
        problems.push(
          `it records treeSize ${record.treeSize} but ${size} events precede it and ${state.lostLines} were lost`,
        );
      }
    } else if (record.treeSize !== size) {
      problems.push(
        `it records treeSize ${record.treeSize} but ${size} events precede it`,
      );
    } else if (!state.treeLost && record.root !== state.tree.root().toHex()) {
      problems.push("its root is not the root of the events before it");
    }
    if (problems.length > 0) {
      this.#add({
        ...here,
        kind: "forged_checkpoint",
        severity: "failure",
        session: state.id,
        seq,
        message: `checkpoint at line ${here.line} does not match the log: ${
          problems.join("; ")
        } (the checkpoint or the events before it were changed)`,
      }, state);
    }
    const key = this.#options.publicKey;
    if (typeof record.signature === "string") {
      this.#anySigned = true;
      state.signed++;
      const keyId = String(record.keyId ?? "");
      state.keyIds.add(keyId);
      if (key && keyId !== key.keyId) {
        this.#add({
          ...here,
          kind: "wrong_key",
          severity: "failure",
          session: state.id,
          seq,
          message:
            `checkpoint at line ${here.line} is signed with key ${keyId}, not with the given key ${key.keyId}`,
        }, state);
      } else if (key) {
        const message = checkpointMessage(
          state.id,
          Number(record.treeSize),
          String(record.root),
          String(record.head),
        );
        let valid = false;
        try {
          valid = await crypto.subtle.verify(
            "Ed25519",
            key.publicKey,
            Uint8Array.fromBase64(record.signature),
            message as Uint8Array<ArrayBuffer>,
          );
        } catch {
          valid = false;
        }
        if (valid) {
          state.verifiedSignatures++;
        } else {
          this.#add({
            ...here,
            kind: "bad_signature",
            severity: "failure",
            session: state.id,
            seq,
            message:
              `checkpoint at line ${here.line} has a signature that does not verify with key ${key.keyId}: the checkpoint was forged or changed`,
          }, state);
        }
      }
    } else if (key || this.#options.requireSignature) {
      this.#add({
        ...here,
        kind: "unsigned_checkpoint",
        severity: "failure",
        session: state.id,
        seq,
        message: `checkpoint at line ${here.line} is not signed${
          key ? "; a key was given, so every checkpoint must be signed" : ""
        }`,
      }, state);
    }
    state.covered = size;
    if (state.end && !state.finalCheckpoint) state.finalCheckpoint = true;
  }

  #scratch = new Uint8Array(64 * 1024);
  #lastSession = "";
  /** The `invalid_line` finding on the line just read, if it was one. */
  #lastInvalid?: Finding;

  #scratchFor(length: number): Uint8Array {
    if (this.#scratch.length < length + 33 + 128) {
      this.#scratch = new Uint8Array(length + 33 + 128 + 64 * 1024);
    }
    return this.#scratch;
  }

  #add(finding: Finding, state?: SessionState): Finding | undefined {
    if (state) {
      if (finding.severity === "failure") state.problems.failure = true;
      if (finding.severity === "incomplete") {
        if (finding.kind === "gap") state.problems.gap = true;
        else state.problems.incomplete = true;
      }
      if (
        finding.line === state.last.line && finding.path === state.last.path
      ) {
        state.lastFinding = finding;
      }
    }
    if (
      this.#findings.length >= (this.#options.maxFindings ??
        defaults.maxFindings)
    ) {
      this.#omitted++;
      return undefined;
    }
    this.#findings.push(finding);
    return finding;
  }

  /** Checks what can only be checked at the end (session ends, coverage) and returns the report. */
  finish(): VerifyReport {
    const key = this.#options.publicKey;
    const sessions: SessionVerdict[] = [];
    for (const state of this.#sessions.values()) {
      if (state.unsealedCount > 0) {
        if (state.sealed > 0) {
          for (const at of state.unsealed) {
            this.#add({
              ...at,
              kind: "inserted",
              severity: "failure",
              session: state.id,
              message:
                `line ${at.line} has no hash in a sealed session: it was inserted`,
            }, state);
          }
        } else {
          this.#add({
            ...state.unsealed[0],
            kind: "unsealed",
            severity: "incomplete",
            session: state.id,
            message:
              `session ${state.id} has ${state.unsealedCount} line(s) without a hash (from line ${
                state.unsealed[0].line
              }): written without tamper evidence, so nothing can be checked`,
          }, state);
        }
      }
      if (!state.end) {
        const uncovered = state.tree.size - state.covered;
        this.#add({
          ...state.last,
          kind: "missing_session_end",
          severity: "incomplete",
          session: state.id,
          message: (proxyRunning(state.proxyPid)
            ? `session ${state.id} is still being written: its proxy (pid ${state.proxyPid}) is running, so it has no session_end yet; its last line so far is ${state.last.line} (seq ${state.lastSeq})`
            : `session ${state.id} has no session_end: it did not finish (the proxy crashed or was killed), or its last lines were cut off; its last line is ${state.last.line} (seq ${state.lastSeq})`) +
            (uncovered > 0
              ? `, and its last ${uncovered} event(s) are not covered by a checkpoint`
              : ""),
        }, state);
      } else if (!state.finalCheckpoint && state.sealed > 0) {
        this.#add({
          ...state.last,
          kind: "missing_final_checkpoint",
          severity: "incomplete",
          session: state.id,
          message:
            `session ${state.id} has no checkpoint after its session_end (line ${state.end.line}): the last events are not covered by a root or signature`,
        }, state);
      }
      const status: VerifyStatus = state.problems.failure
        ? "failed"
        : state.problems.incomplete
        ? "incomplete"
        : state.problems.gap
        ? "gap"
        : "verified";
      sessions.push({
        session: state.id,
        status,
        first: state.first,
        last: state.last,
        lines: state.lines,
        events: state.tree.size,
        checkpoints: state.checkpoints,
        signedCheckpoints: state.signed,
        verifiedSignatures: state.verifiedSignatures,
        keyIds: [...state.keyIds],
        finished: state.end !== undefined && state.finalCheckpoint,
        lostEvents: state.lostLines,
      });
    }
    const signatures = key
      ? "checked"
      : this.#anySigned
      ? "not_checked"
      : "none";
    if (!key) {
      this.#findings.push({
        path: "",
        line: 0,
        kind: "signatures_not_checked",
        severity: this.#options.requireSignature ? "failure" : "note",
        message: this.#anySigned
          ? "signatures not checked: no public key given (--pubkey); the chain and tree prove only that the log is consistent, not who wrote it"
          : "no checkpoint is signed and no public key was given: the chain and tree prove only that the log is consistent; anyone able to rewrite the file could recompute them",
      });
    }
    const all = this.#findings;
    const status: VerifyStatus = all.some((f) => f.severity === "failure") ||
        sessions.some((s) => s.status === "failed")
      ? "failed"
      : all.some((f) => f.severity === "incomplete" && f.kind !== "gap") ||
          sessions.some((s) => s.status === "incomplete") ||
          sessions.length === 0
      ? "incomplete"
      : all.some((f) => f.kind === "gap") ||
          sessions.some((s) => s.status === "gap")
      ? "gap"
      : "verified";
    return {
      status,
      signatures,
      keyId: key?.keyId,
      files: this.#files,
      sessions,
      findings: all,
      omittedFindings: this.#omitted,
      bytes: this.#bytes,
    };
  }
}

function newSession(id: string, here: LineLocation): SessionState {
  return {
    id,
    head: chainStart(id),
    pool: [new Uint8Array(32), new Uint8Array(32), new Uint8Array(32)],
    tree: new MerkleBuilder({ simd: true }),
    resync: false,
    expectedSeq: 0,
    first: here,
    last: here,
    lastSeq: -1,
    lines: 0,
    sealed: 0,
    lastReordered: false,
    missing: new Map(),
    unsealed: [],
    unsealedCount: 0,
    finalCheckpoint: false,
    checkpoints: 0,
    signed: 0,
    verifiedSignatures: 0,
    keyIds: new Set(),
    covered: 0,
    lostLines: 0,
    problems: { failure: false, incomplete: false, gap: false },
  };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const LINK_SCRATCH = new Uint8Array(128);

/** H[i] = SHA-256(H[i-1] || leaf hash of line i): 64 bytes in. */
function chainLink(before: Uint8Array, leaf: Uint8Array): Uint8Array {
  LINK_SCRATCH.set(before, 0);
  LINK_SCRATCH.set(leaf, 32);
  const out = new Uint8Array(32);
  sha256Range(LINK_SCRATCH, 0, 64, out);
  return out;
}
