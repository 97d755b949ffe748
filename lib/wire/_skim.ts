/**
 * A skimming reader for JSON-RPC frames too large to be worth parsing: it
 * walks the top-level object without building it, jumping over string
 * contents (`_string_end.ts`), and picks out only what the audit needs: the
 * `jsonrpc`, `id` and `method` members, the tool name in `params.name`,
 * `result.isError`, and the error's `code` and `message`. The walk can be
 * fed a frame in pieces as they arrive ({@linkcode FrameSkim}).
 *
 * @module
 */
import { mayHoldInexactNumber, parseExact } from "./raw_number.ts";
import { stringScan } from "./_string_end.ts";

// Works on the bytes: structural characters are ASCII, and no byte of a
// multi-byte UTF-8 sequence is ASCII, so the frame need not be decoded (a
// large string per frame, the most memory a big message costs). Only keys
// and the few small values kept are decoded. (Skimming the decoded text is
// about a third faster, but a 1 MB string per frame lifts the proxy's peak
// memory past 100 MB on long streams of large messages.)
const decoder = new TextDecoder();
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Bytes of a string inside a structure looked through before `stringScan` is called. */
const SHORT_STRING = 64;

/** What a skim finds in a frame. */
export interface Skimmed {
  jsonrpc?: unknown;
  hasId: boolean;
  id?: unknown;
  method?: unknown;
  hasParams: boolean;
  /** `params.name` when it is a string. */
  paramsName?: string;
  hasResult: boolean;
  /** `result.isError` when it is a boolean. */
  isError?: boolean;
  hasError: boolean;
  errorCode?: unknown;
  errorMessage?: unknown;
}

/**
 * Skims a top-level JSON object; `undefined` when the bytes are not one.
 *
 * @example
 * ```ts
 * import { skimObject } from "./_skim.ts";
 * import assert from "node:assert/strict";
 *
 * const s = skimObject(new TextEncoder().encode(
 *   '{"result":{"content":[{"type":"text","text":"a \\"quoted\\" }"}],"isError":true},"jsonrpc":"2.0","id":7}',
 * ));
 * assert.equal(s?.id, 7);
 * assert.equal(s?.isError, true);
 * ```
 */
export function skimObject(bytes: Uint8Array): Skimmed | undefined {
  const skim = new FrameSkim();
  return skim.end(bytes);
}

/**
 * The skim of a frame whose bytes arrive in pieces: each call to
 * {@linkcode FrameSkim.update} walks on through the bytes that came since
 * the last, while they are still in the cache, so the whole frame is never
 * read again; {@linkcode FrameSkim.end} gives what {@linkcode skimObject}
 * gives on the whole frame (tests/wire/skim_test.ts checks that for random
 * splits). The walk stops where the top-level object closes. The line
 * splitter runs one over a long line as it gathers it.
 *
 * @example
 * ```ts
 * import { FrameSkim } from "./_skim.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode('{"jsonrpc":"2.0","id":7,"result":{"isError":true}}');
 * const skim = new FrameSkim();
 * skim.update(bytes.subarray(0, 20));
 * skim.update(bytes.subarray(0, 40));
 * assert.equal(skim.end(bytes)?.isError, true);
 * ```
 */
export class FrameSkim {
  #src: Source = { bytes: new Uint8Array(0), final: false };
  #out: Skimmed = {
    hasId: false,
    hasParams: false,
    hasResult: false,
    hasError: false,
  };
  #walk: Generator<void, number, void>;
  #end: number | undefined;

  /** Starts a skim; nothing is read until the first update. */
  constructor() {
    this.#walk = walkObject(this.#src, this.#out);
  }

  /** Walks on: `bytes` is the frame so far (earlier bytes unchanged, maybe moved). */
  update(bytes: Uint8Array): void {
    if (this.#end !== undefined) return;
    this.#src.bytes = bytes;
    const step = this.#walk.next();
    if (step.done) this.#end = step.value;
  }

  /** Ends the skim with the whole frame: what it found, or `undefined` when it is not one object. */
  end(bytes: Uint8Array): Skimmed | undefined {
    if (this.#end === undefined) {
      this.#src.bytes = bytes;
      this.#src.final = true;
      const step = this.#walk.next();
      // With the bytes final, the walk never waits for more.
      this.#end = step.done ? step.value : -1;
    }
    return this.#end >= 0 ? this.#out : undefined;
  }
}

/**
 * The bytes a walk reads: the frame so far, and whether that is all of it.
 * A walk that reaches the end of bytes that are not final yields, and
 * reads `bytes` again (it may be a new, longer view) when resumed.
 */
interface Source {
  bytes: Uint8Array;
  final: boolean;
}

type Walk = Generator<void, number, void>;

/**
 * Walks the top-level object, filling `out`; its end, or -1. Each byte is
 * walked once: the members of params, result and error are read on the way
 * through them, and their end is where the walk stops, so the large value
 * inside is never skipped twice.
 */
function* walkObject(src: Source, out: Skimmed): Walk {
  const start = yield* skipWs(src, 0);
  return yield* members(src, start, function* (key, start): Walk {
    const bytes = (): Uint8Array => src.bytes;
    switch (key) {
      case "jsonrpc":
        return yield* scalar(src, start, (v) => {
          out.jsonrpc = v;
        });
      case "id":
        out.hasId = true;
        return yield* scalar(src, start, (v) => {
          out.id = v;
        }, true);
      case "method":
        return yield* scalar(src, start, (v) => {
          out.method = v;
        });
      case "params":
        out.hasParams = true;
        if (bytes()[start] !== 0x7b) return yield* skipValue(src, start);
        return yield* members(src, start, function* (k, s): Walk {
          if (k !== "name" || bytes()[s] !== QUOTE) {
            return yield* skipValue(src, s);
          }
          return yield* scalar(src, s, (v) => {
            if (typeof v === "string") out.paramsName = v;
          });
        });
      case "result":
        out.hasResult = true;
        if (bytes()[start] !== 0x7b) return yield* skipValue(src, start);
        return yield* members(src, start, function* (k, s): Walk {
          if (k !== "isError") return yield* skipValue(src, s);
          return yield* scalar(src, s, (v) => {
            if (typeof v === "boolean") out.isError = v;
          });
        });
      case "error":
        out.hasError = true;
        if (bytes()[start] !== 0x7b) return yield* skipValue(src, start);
        return yield* members(src, start, function* (k, s): Walk {
          if (k === "code") {
            return yield* scalar(src, s, (v) => {
              out.errorCode = v;
            }, true);
          }
          if (k !== "message") return yield* skipValue(src, s);
          const e = yield* skipValue(src, s);
          if (e >= 0 && e - s < 65536) {
            out.errorMessage = parseSlice(src.bytes, s, e);
          }
          return e;
        });
      default:
        return yield* skipValue(src, start);
    }
  });
}

/** Skips the value at `start`, handing it parsed to `keep`; its end or -1. */
function* scalar(
  src: Source,
  start: number,
  keep: (v: unknown) => void,
  exact = false,
): Walk {
  const e = yield* skipValue(src, start);
  if (e >= 0) keep(parseSlice(src.bytes, start, e, exact));
  return e;
}

/**
 * Walks the members of the object starting at `i` (a value already begun,
 * so its first byte is there), each value skipped by `visit` (which returns
 * where it ends, or -1); the index after the object's close, or -1 when it
 * is malformed.
 */
function* members(
  src: Source,
  i: number,
  visit: (key: string | undefined, start: number) => Walk,
): Walk {
  if (!(yield* has(src, i)) || src.bytes[i] !== 0x7b) return -1;
  i = yield* skipWs(src, i + 1);
  if (src.bytes[i] === 0x7d) return i + 1;
  while (i < src.bytes.length) {
    if (src.bytes[i] !== QUOTE) return -1;
    const keyEnd = yield* skipString(src, i);
    if (keyEnd < 0) return -1;
    const key = keyEnd - i < 64 ? parseSlice(src.bytes, i, keyEnd) : undefined;
    i = yield* skipWs(src, keyEnd);
    if (src.bytes[i] !== 0x3a) return -1;
    const start = yield* skipWs(src, i + 1);
    if (start >= src.bytes.length) return -1;
    const end = yield* visit(typeof key === "string" ? key : undefined, start);
    if (end < 0) return -1;
    i = yield* skipWs(src, end);
    if (src.bytes[i] === 0x2c) {
      i = yield* skipWs(src, i + 1);
      continue;
    }
    return src.bytes[i] === 0x7d ? i + 1 : -1;
  }
  return -1;
}

/** Waits until byte `i` is there; `false` when the frame ends first. */
function* has(src: Source, i: number): Generator<void, boolean, void> {
  while (i >= src.bytes.length) {
    if (src.final) return false;
    yield;
  }
  return true;
}

/** The first non-whitespace index from `i`, once its byte is there (or the end of a final frame). */
function* skipWs(src: Source, i: number): Walk {
  while (true) {
    const bytes = src.bytes;
    while (i < bytes.length) {
      const b = bytes[i];
      if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return i;
      i++;
    }
    if (src.final) return i;
    yield;
  }
}

function* skipString(src: Source, i: number): Walk {
  const r = stringScan(src.bytes, i + 1, false);
  return r >= 0 ? r : yield* resumeString(src, r);
}

/**
 * Waits for more of a string that `stringScan` found open at the end of
 * `src.bytes` (`r` is what it returned) and scans on; its end, or -1.
 */
function* resumeString(src: Source, r: number): Walk {
  let escaped = r === -2;
  while (true) {
    if (src.final) return -1;
    const pos = src.bytes.length;
    yield;
    r = stringScan(src.bytes, pos, escaped);
    if (r >= 0) return r;
    escaped = r === -2;
  }
}

/** Skips the value at `i` (its first byte is there); its end, or -1. */
function* skipValue(src: Source, i: number): Walk {
  const b = src.bytes[i];
  if (b === QUOTE) return yield* skipString(src, i);
  if (b === 0x7b || b === 0x5b) {
    let depth = 0;
    while (true) {
      let bytes = src.bytes;
      while (i < bytes.length) {
        const c = bytes[i];
        if (c === QUOTE) {
          // Most strings inside a structure are short: their end is found
          // here, without a call; a longer one goes on in stringScan.
          let k = i + 1;
          const stop = Math.min(bytes.length, k + SHORT_STRING);
          let escaped = false;
          for (; k < stop; k++) {
            const d = bytes[k];
            if (escaped) escaped = false;
            else if (d === BACKSLASH) escaped = true;
            else if (d === QUOTE) break;
          }
          if (k < stop) {
            i = k + 1;
            continue;
          }
          let e = stringScan(bytes, k, escaped);
          if (e < 0) e = yield* resumeString(src, e);
          if (e < 0) return -1;
          i = e;
          bytes = src.bytes;
          continue;
        }
        if (c === 0x7b || c === 0x5b) depth++;
        else if (c === 0x7d || c === 0x5d) {
          depth--;
          if (depth === 0) return i + 1;
        }
        i++;
      }
      if (src.final) return -1;
      yield;
    }
  }
  // A number, true, false or null.
  const start = i;
  while (true) {
    const bytes = src.bytes;
    while (i < bytes.length) {
      const c = bytes[i];
      if (
        c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a ||
        c === 0x0d || c === 0x09
      ) return i > start ? i : -1;
      i++;
    }
    if (src.final) return i > start ? i : -1;
    yield;
  }
}

function parseSlice(
  bytes: Uint8Array,
  start: number,
  end: number,
  exact = false,
): unknown {
  try {
    const text = decoder.decode(bytes.subarray(start, end));
    // Ids and codes a double cannot hold stay as their token.
    return exact && mayHoldInexactNumber(text)
      ? parseExact(text)
      : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The JSON value that the start of a cut JSON text holds as far as it is
 * whole: open objects and arrays are closed, and a string, number, literal
 * or key cut by the end (or anything after a syntax error) is left out, so
 * no part of a value passes for the whole. `undefined` when not even the
 * first value has begun. This is how a skimmed frame's preview, the first
 * characters of its raw text, can be redacted as parsed values are: each
 * string unescaped, each key known as a key. Iterative, so depth costs no
 * stack.
 *
 * @example
 * ```ts
 * import { parsePrefix } from "./_skim.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   parsePrefix('{"id":1,"params":{"password":"hunter2","note":"ana\\u0040exam'),
 *   { id: 1, params: { password: "hunter2" } },
 * );
 * assert.deepEqual(parsePrefix('[1, [2, 3], 45'), [1, [2, 3]]);
 * assert.equal(parsePrefix("  "), undefined);
 * ```
 */
export function parsePrefix(text: string): unknown {
  const n = text.length;
  const stack: (unknown[] | Record<string, unknown>)[] = [];
  let root: unknown;
  /** The key awaiting its value in the innermost object. */
  let key: string | undefined;
  /** "value" (a value may come), "key" (a key or the close), "next" (a comma or the close). */
  let state: "value" | "key" | "next" = "value";
  let i = 0;
  const add = (v: unknown): void => {
    const top = stack[stack.length - 1];
    if (top === undefined) root = v;
    else if (Array.isArray(top)) top.push(v);
    else top[key!] = v;
  };
  while (true) {
    i = skipText(text, i);
    if (i >= n) break;
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (state === "next") {
      if (c === 0x2c && top !== undefined) {
        state = Array.isArray(top) ? "value" : "key";
        i++;
        continue;
      }
      if ((c === 0x7d || c === 0x5d) && top !== undefined) {
        stack.pop();
        i++;
        if (stack.length === 0) break;
        continue;
      }
      break;
    }
    if (state === "key") {
      if (c === 0x7d) {
        stack.pop();
        i++;
        state = "next";
        if (stack.length === 0) break;
        continue;
      }
      const end = c === QUOTE ? stringEnd(text, i) : -1;
      if (end < 0) break;
      const k = parseText(text, i, end);
      i = skipText(text, end);
      if (typeof k !== "string" || text.charCodeAt(i) !== 0x3a) break;
      key = k;
      i++;
      state = "value";
      continue;
    }
    // A value, or the close of an empty array.
    if (c === 0x5d && Array.isArray(top) && top.length === 0) {
      stack.pop();
      i++;
      state = "next";
      if (stack.length === 0) break;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      const container = c === 0x7b ? {} : [];
      add(container);
      stack.push(container);
      i++;
      state = c === 0x7b ? "key" : "value";
      continue;
    }
    let end: number;
    if (c === QUOTE) end = stringEnd(text, i);
    else {
      end = i;
      while (end < n && !endsScalar(text.charCodeAt(end))) end++;
      // Cut by the end of the text: perhaps only part of a number.
      if (end >= n) end = -1;
    }
    if (end < 0) break;
    const v = parseText(text, i, end);
    if (v === undefined) break;
    add(v);
    i = end;
    state = "next";
    if (stack.length === 0) break;
  }
  return root;
}

function skipText(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** `i` is at an opening quote; the index after the closing one, or -1. */
function stringEnd(text: string, i: number): number {
  let from = i + 1;
  while (true) {
    const q = text.indexOf('"', from);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let k = q - 1; k > i && text.charCodeAt(k) === BACKSLASH; k--) {
      backslashes++;
    }
    if (backslashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

function endsScalar(c: number): boolean {
  return c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a ||
    c === 0x0d || c === 0x09;
}

function parseText(text: string, start: number, end: number): unknown {
  try {
    return JSON.parse(text.slice(start, end));
  } catch {
    return undefined;
  }
}
