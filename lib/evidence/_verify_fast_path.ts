/**
 * The verifier's fast path. Nearly every line of a log is an ordinary
 * event (not a checkpoint, session start or end, or gap) of the session of
 * the line before, sealed, extending the chain. Such a line is recognised
 * from its bytes, without decoding or parsing it (the writer serialises
 * every event as `{"v":1,"seq":N,"ts":"…","session":"…","kind":"…",…`);
 * its leaf hash is computed four lines at a time in the WebAssembly SIMD
 * lanes of {@linkcode Sha256x4}, and its chain value compared with the
 * stored hex in place. Skipping the parse is safe because a line's
 * authenticity comes from its hash, not its syntax. Any other line, and a
 * taken line whose hash does not extend the chain, goes to the verifier's
 * full check, so the findings are those of the full check alone
 * (tests/evidence/_verify_fast_path_test.ts holds the two to that).
 *
 * @module
 */
import { sha256Range } from "../seal/_sha256.ts";
import { LANE_BYTES, Sha256x4 } from "../seal/_sha256x4.ts";
import { matchesHex } from "../seal/_hex.ts";
import {
  HASH_HEX_FROM_END,
  HASH_MEMBER_BYTES,
  LEAF_PREFIX,
  SEAL_SUFFIX,
} from "../seal/sealed_line.ts";

/** What the fast path reads of a session. */
export interface FastSession {
  /** The session id. */
  readonly id: string;
  /** The chain value the next line must extend. */
  readonly head: Uint8Array;
  /** Set once the session has ended: its later lines are checked in full. */
  readonly end?: unknown;
  /** The next line cannot be chained (after a gap): it is checked in full. */
  readonly resync: boolean;
}

/** The verifier, as the fast path sees it. */
export interface FastPathHost<S extends FastSession> {
  /**
   * The session of the line before, whose next lines the fast path may
   * take; undefined at the start of a file.
   */
  candidate(): S | undefined;
  /**
   * Records a taken line of `state` that extends its chain: its leaf hash
   * is the 32 bytes of `leaves` from `at`, its chain value `link` (both
   * overwritten later: copy what is kept).
   */
  extend(
    state: S,
    path: string,
    line: number,
    seq: number,
    leaves: Uint8Array,
    at: number,
    link: Uint8Array,
  ): void;
  /** Checks a line (`bytes`, without its newline) in full. */
  check(
    path: string,
    line: number,
    bytes: Uint8Array,
    terminated: boolean,
  ): Promise<void> | undefined;
}

/**
 * Takes what lines it can off the verifier's full check: feed it every
 * line of a file in order with {@linkcode FastPath.read}, then
 * {@linkcode FastPath.flush}.
 *
 * @example A clean line is taken; an edited one is handed to the full check
 * ```ts
 * import { FastPath } from "./_verify_fast_path.ts";
 * import { chainStart, Sealer } from "../seal/seal.ts";
 * import assert from "node:assert/strict";
 *
 * const sealer = new Sealer("s");
 * const event = (seq: number) =>
 *   sealer.seal(new TextEncoder().encode(
 *     `{"v":1,"seq":${seq},"ts":"t","session":"s","kind":"request","id":1}\n`,
 *   )).subarray(0, -1);
 * const [first, second] = [event(0), event(1)];
 * second[57] ^= 1; // "id" becomes "ie": the kind still reads as ordinary.
 * const session = { id: "s", head: chainStart("s"), resync: false };
 * const taken: number[] = [];
 * const checked: number[] = [];
 * const fast = new FastPath({
 *   candidate: () => session,
 *   extend(state, _path, line, _seq, _leaves, _at, link) {
 *     state.head = link.slice();
 *     taken.push(line);
 *   },
 *   check: (_path, line) => void checked.push(line),
 * });
 * await fast.read("a.jsonl", first, 0, first.length, 1, true);
 * await fast.read("a.jsonl", second, 0, second.length, 2, true);
 * await fast.flush();
 * assert.deepEqual([taken, checked], [[1], [2]]);
 * ```
 */
export class FastPath<S extends FastSession> {
  #host: FastPathHost<S>;
  /** Lanes for leaf hashes; undefined without WebAssembly SIMD. */
  #lanes = lanes();
  /** Lanes for chain values (64-byte messages, padded once). */
  #links = linkLanes();
  /** Lines waiting in the lanes, and what is known of them. */
  #waiting = 0;
  #waitingLines = Array.from(
    { length: 4 },
    () => ({ path: "", line: 0, seq: 0, body: 0 }),
  );
  #scratch = new Uint8Array(64 * 1024);

  /** A fast path in front of `host`'s full check. */
  constructor(host: FastPathHost<S>) {
    this.#host = host;
  }

  /** Settles the lines still waiting in the lanes: at the end of a file. */
  flush(): Promise<void> | undefined {
    return this.#settle(0);
  }

  /**
   * Verifies the line `buf[start, end)` (without its newline), line `line`
   * of `path`: takes it, or hands it to the verifier's full check once the
   * lines waiting before it are settled.
   */
  read(
    path: string,
    buf: Uint8Array,
    start: number,
    end: number,
    line: number,
    terminated: boolean,
  ): Promise<void> | undefined {
    if (terminated && this.#stage(path, line, buf, start, end)) {
      return this.#waiting === 4 ? this.#settle(0) : undefined;
    }
    // Lines wait only while nothing else comes between them.
    const settled = this.#settle(0);
    if (settled) {
      return settled.then(() =>
        this.#one(path, line, buf, start, end, terminated)
      );
    }
    return this.#one(path, line, buf, start, end, terminated);
  }

  /**
   * The common case goes four lines at a time: an ordinary event (not a
   * checkpoint, session start or end, or gap) of the session of the line
   * before, sealed. Its leaf hash waits in a lane of {@linkcode Sha256x4}
   * until four are there; then each is chained in order by
   * `#settle`. Returns false, having changed nothing,
   * for any other line: it is checked in full once the waiting lines are.
   */
  #stage(
    path: string,
    line: number,
    buf: Uint8Array,
    start: number,
    end: number,
  ): boolean {
    const body = end - SEAL_SUFFIX - start;
    const lanes = this.#lanes;
    // Too long for a lane (or no WebAssembly): one line at a time.
    if (!lanes || body + 2 + 72 + 64 > LANE_BYTES) return false;
    const seq = this.#ordinary(buf, start, end);
    if (seq < 0) return false;
    const hashAt = start + body;
    // The leaf hash's input, SHA-256(0x00 || the line without its hash
    // member), and the stored hash at the end of the lane.
    const i = this.#waiting++;
    const at = i * LANE_BYTES;
    const memory = lanes.memory;
    memory[at] = LEAF_PREFIX;
    memory.set(buf.subarray(start, hashAt), at + 1);
    memory[at + 1 + body] = 0x7d;
    lanes.pad(i, body + 2);
    const stored = at + LANE_BYTES - 64;
    for (let j = 0; j < 64; j++) {
      memory[stored + j] = buf[end - HASH_HEX_FROM_END + j];
    }
    const w = this.#waitingLines[i];
    w.path = path;
    w.line = line;
    w.seq = seq;
    w.body = body;
    return true;
  }

  /**
   * Hashes the waiting lines and chains them, in order, from lane `from`.
   * A line whose hash does not extend the chain is checked in full.
   */
  #settle(from: number): Promise<void> | undefined {
    const count = this.#waiting;
    if (count === 0) return undefined;
    const lanes = this.#lanes!;
    const state = this.#host.candidate()!;
    let i = from;
    if (from === 0) {
      lanes.hash(count);
      i = this.#chainFour(state, count);
    }
    const memory = lanes.memory;
    const digests = lanes.digests;
    for (; i < count; i++) {
      const w = this.#waitingLines[i];
      const head = state.head;
      for (let j = 0; j < 32; j++) {
        LINK_SCRATCH[j] = head[j];
        LINK_SCRATCH[32 + j] = digests[32 * i + j];
      }
      sha256Range(LINK_SCRATCH, 0, 64, LINK);
      const stored = i * LANE_BYTES + LANE_BYTES - 64;
      if (matchesHex(memory, stored, LINK)) {
        this.#host.extend(state, w.path, w.line, w.seq, digests, 32 * i, LINK);
        continue;
      }
      // Put the line back together and check it in full.
      const bytes = new Uint8Array(w.body + SEAL_SUFFIX);
      bytes.set(
        memory.subarray(i * LANE_BYTES + 1, i * LANE_BYTES + 1 + w.body),
      );
      bytes.set(HASH_MEMBER_BYTES, w.body);
      bytes.set(
        memory.subarray(stored, stored + 64),
        w.body + HASH_MEMBER_BYTES.length,
      );
      bytes[bytes.length - 2] = 0x22;
      bytes[bytes.length - 1] = 0x7d;
      const done = this.#host.check(w.path, w.line, bytes, true);
      if (done) {
        return done.then(() => this.#settle(i + 1));
      }
    }
    this.#waiting = 0;
    return undefined;
  }

  /**
   * Chains the `count` waiting lines, whose leaf hashes are in the lanes'
   * digests, four chain values at a time: a line's chain value is
   * SHA-256(the chain value before it || its leaf hash), and the one before
   * it is the stored hash of the line before, once that line is found to
   * extend the chain. So the four are hashed together, the first from the
   * session's head and each other from the hash stored in the line before;
   * then, in order, a line is taken when the value it was hashed from is the
   * session's head by then and its own stored hash matches. Returns the
   * index of the first line not taken (`count` when all were): from there
   * `#settle` goes one line at a time, as without these lanes.
   */
  #chainFour(state: S, count: number): number {
    const links = this.#links;
    if (!links) return 0;
    const input = links.memory;
    const memory = this.#lanes!.memory;
    const digests = this.#lanes!.digests;
    input.set(state.head, 0);
    for (let i = 0; i < count; i++) {
      const at = i * LANE_BYTES;
      if (i > 0) {
        // The stored hash of the line before, as bytes.
        const hex = at - 64;
        for (let j = 0; j < 32; j++) {
          input[at + j] =
            HEX_PAIR[(memory[hex + 2 * j] << 8) | memory[hex + 2 * j + 1]];
        }
      }
      for (let j = 0; j < 32; j++) input[at + 32 + j] = digests[32 * i + j];
    }
    links.hash(count);
    const linked = links.digests;
    for (let i = 0; i < count; i++) {
      const at = i * LANE_BYTES;
      // Hashed from what the chain holds now (the line before was taken).
      const head = state.head;
      for (let j = 0; j < 32; j++) {
        if (input[at + j] !== head[j]) return i;
      }
      for (let j = 0; j < 32; j++) LINK[j] = linked[32 * i + j];
      if (!matchesHex(memory, at + LANE_BYTES - 64, LINK)) return i;
      const w = this.#waitingLines[i];
      this.#host.extend(state, w.path, w.line, w.seq, digests, 32 * i, LINK);
    }
    return count;
  }

  /**
   * The seq of a line `#stage` takes: sealed, of the
   * session of the line before, and of an ordinary kind; or -1.
   */
  #ordinary(buf: Uint8Array, start: number, end: number): number {
    const state = this.#host.candidate();
    if (!state || state.end || state.resync) return -1;
    // `,"hash":"` + 64 hex + `"}` at the end.
    const hashAt = end - SEAL_SUFFIX;
    if (
      hashAt <= start || buf[end - 1] !== 0x7d || buf[end - 2] !== 0x22 ||
      !matchAt(buf, hashAt, HASH_MEMBER_BYTES)
    ) {
      return -1;
    }
    return ordinaryHeader(buf, start, hashAt, state.id);
  }

  /** One line, when no line waits in a lane. */
  #one(
    path: string,
    line: number,
    buf: Uint8Array,
    start: number,
    end: number,
    terminated: boolean,
  ): Promise<void> | undefined {
    if (terminated && this.#fastLine(path, line, buf, start, end)) {
      return undefined;
    }
    return this.#host.check(path, line, buf.subarray(start, end), terminated);
  }

  /** `#stage` for one line, hashed in JavaScript. */
  #fastLine(
    path: string,
    line: number,
    buf: Uint8Array,
    start: number,
    end: number,
  ): boolean {
    const seq = this.#ordinary(buf, start, end);
    if (seq < 0) return false;
    const state = this.#host.candidate()!;
    const body = end - SEAL_SUFFIX - start;
    const scratch = this.#scratchFor(body);
    scratch[31] = LEAF_PREFIX;
    scratch.set(buf.subarray(start, start + body), 32);
    scratch[32 + body] = 0x7d;
    sha256Range(scratch, 31, 33 + body, LEAF);
    LINK_SCRATCH.set(state.head, 0);
    LINK_SCRATCH.set(LEAF, 32);
    sha256Range(LINK_SCRATCH, 0, 64, LINK);
    if (!matchesHex(buf, end - HASH_HEX_FROM_END, LINK)) return false;
    this.#host.extend(state, path, line, seq, LEAF, 0, LINK);
    return true;
  }

  #scratchFor(length: number): Uint8Array {
    if (this.#scratch.length < length + 33 + 128) {
      this.#scratch = new Uint8Array(length + 33 + 128 + 64 * 1024);
    }
    return this.#scratch;
  }
}

/** 64 bytes of chain input plus room for SHA-256 padding. */
const LINK_SCRATCH = new Uint8Array(128);

const SPECIAL = new Set(["checkpoint", "session_start", "session_end", "gap"]);
const SPECIAL_BYTES = [...SPECIAL].map(ascii);
const P_START = ascii('{"v":1,"seq":');
const P_TS = ascii(',"ts":"');
const P_SESSION = ascii(',"session":"');
const P_KIND = ascii(',"kind":"');

function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * The writer serialises every event as `{"v":1,"seq":N,"ts":"…","session":
 * "…","kind":"…",…`: read those three members without parsing the line.
 * Lines of the kinds whose other members are checked, and anything that
 * does not look exactly so, are parsed as JSON instead. Skipping the parse
 * is safe because a line's authenticity comes from its hash, not its syntax.
 *
 * @example
 * ```ts
 * import { fastHeader } from "./_verify_fast_path.ts";
 * import assert from "node:assert/strict";
 *
 * const line = (text: string) => new TextEncoder().encode(text);
 * assert.deepEqual(
 *   fastHeader(line('{"v":1,"seq":7,"ts":"t","session":"s","kind":"request","id":1}'), ""),
 *   { seq: 7, session: "s", kind: "request" },
 * );
 * // A checkpoint's members are checked: it is parsed.
 * assert.equal(fastHeader(line('{"v":1,"seq":8,"ts":"t","session":"s","kind":"checkpoint","treeSize":1}'), "s"), undefined);
 * ```
 */
export function fastHeader(
  bytes: Uint8Array,
  lastSession: string,
): { seq: number; session: string; kind: string } | undefined {
  let i = expect(bytes, 0, P_START);
  if (i < 0) return undefined;
  let seq = 0;
  const digits = i;
  while (i < bytes.length && bytes[i] >= 0x30 && bytes[i] <= 0x39) {
    seq = seq * 10 + bytes[i++] - 0x30;
  }
  if (i === digits || i - digits > 15) return undefined;
  i = expect(bytes, i, P_TS);
  if (i < 0) return undefined;
  i = bytes.indexOf(0x22, i);
  if (i < 0) return undefined;
  i = expect(bytes, i + 1, P_SESSION);
  if (i < 0) return undefined;
  const sessionStart = i;
  i = plainString(bytes, i);
  if (i < 0) return undefined;
  const sessionEnd = i;
  let session = lastSession;
  if (!sameAscii(bytes, sessionStart, sessionEnd, lastSession)) {
    session = String.fromCharCode(...bytes.subarray(sessionStart, sessionEnd));
  }
  i = expect(bytes, i + 1, P_KIND);
  if (i < 0) return undefined;
  const kindStart = i;
  i = plainString(bytes, i);
  if (i < 0) return undefined;
  const kind = String.fromCharCode(...bytes.subarray(kindStart, i));
  if (SPECIAL.has(kind) || bytes[i + 1] !== 0x2c) return undefined;
  return { seq, session, kind };
}

/** Lanes for leaf hashes, or undefined without WebAssembly SIMD. */
function lanes(): Sha256x4 | undefined {
  try {
    return new Sha256x4();
  } catch {
    return undefined;
  }
}

/** Lanes for chain values: each a 64-byte message, its padding written once. */
function linkLanes(): Sha256x4 | undefined {
  const x4 = lanes();
  for (let i = 0; x4 && i < 4; i++) x4.pad(i, 64);
  return x4;
}

/** The value of each lowercase hex digit by its character code (0 for any other). */
const NIBBLE = new Uint8Array(256).map((_, c) =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : 0
);
/** The byte of two hex digits by their character codes (high << 8 | low). */
const HEX_PAIR = new Uint8Array(65536).map((_, pair) =>
  (NIBBLE[pair >> 8] << 4) | NIBBLE[pair & 0xff]
);

/** The hash of the line the fast path checks, and its chain value. */
const LEAF = new Uint8Array(32);
const LINK = new Uint8Array(32);

/** `buf[at, at + what.length)` equals `what`. */
function matchAt(buf: Uint8Array, at: number, what: Uint8Array): boolean {
  for (let j = 0; j < what.length; j++) {
    if (buf[at + j] !== what[j]) return false;
  }
  return true;
}

/**
 * {@linkcode fastHeader} for the fast path, on `buf[start, end)`: the seq of
 * an event of session `session` whose kind is not one of {@linkcode SPECIAL},
 * or -1 (anything else, or anything unusual).
 */
function ordinaryHeader(
  buf: Uint8Array,
  start: number,
  end: number,
  session: string,
): number {
  let i = start + P_START.length;
  if (i >= end || !matchAt(buf, start, P_START)) return -1;
  let seq = 0;
  const digits = i;
  while (i < end && buf[i] >= 0x30 && buf[i] <= 0x39) {
    seq = seq * 10 + buf[i++] - 0x30;
  }
  if (i === digits || i - digits > 15) return -1;
  if (i + P_TS.length > end || !matchAt(buf, i, P_TS)) return -1;
  i = buf.indexOf(0x22, i + P_TS.length);
  if (i < 0 || i >= end) return -1;
  i++;
  if (
    i + P_SESSION.length + session.length + 1 + P_KIND.length > end ||
    !matchAt(buf, i, P_SESSION)
  ) {
    return -1;
  }
  i += P_SESSION.length;
  for (let j = 0; j < session.length; j++) {
    const c = buf[i + j];
    // As plainString: ASCII, no escapes.
    if (c !== session.charCodeAt(j) || c >= 0x80 || c === 0x5c || c < 0x20) {
      return -1;
    }
  }
  i += session.length;
  if (buf[i] !== 0x22 || !matchAt(buf, i + 1, P_KIND)) return -1;
  i += 1 + P_KIND.length;
  const kindStart = i;
  for (; i < end; i++) {
    const c = buf[i];
    if (c === 0x22) break;
    if (c === 0x5c || c >= 0x80 || c < 0x20) return -1;
  }
  if (i + 1 >= end || buf[i + 1] !== 0x2c) return -1;
  for (const special of SPECIAL_BYTES) {
    if (i - kindStart === special.length && matchAt(buf, kindStart, special)) {
      return -1;
    }
  }
  return seq;
}

function expect(bytes: Uint8Array, at: number, what: Uint8Array): number {
  if (at + what.length > bytes.length) return -1;
  for (let j = 0; j < what.length; j++) {
    if (bytes[at + j] !== what[j]) return -1;
  }
  return at + what.length;
}

/** The index of the closing quote of a string without escapes or non-ASCII, or -1. */
function plainString(bytes: Uint8Array, at: number): number {
  for (let i = at; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 0x22) return i;
    if (c === 0x5c || c >= 0x80 || c < 0x20) return -1;
  }
  return -1;
}

function sameAscii(
  bytes: Uint8Array,
  start: number,
  end: number,
  text: string,
): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i++) {
    if (bytes[start + i] !== text.charCodeAt(i)) return false;
  }
  return true;
}
