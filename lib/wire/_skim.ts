/**
 * A skimming reader for JSON-RPC frames too large to be worth parsing: it
 * walks the top-level object without building it, jumping over string
 * contents with `indexOf`, and picks out only what the audit needs: the
 * `jsonrpc`, `id` and `method` members, the tool name in `params.name`,
 * `result.isError`, and the error's `code` and `message`.
 *
 * @module
 */
import { mayHoldInexactNumber, parseExact } from "./raw_number.ts";
import { stringEnd as skipString } from "./_string_end.ts";

// Works on the bytes: structural characters are ASCII, and no byte of a
// multi-byte UTF-8 sequence is ASCII, so the frame need not be decoded (a
// large string per frame, the most memory a big message costs). Only keys
// and the few small values kept are decoded. (Skimming the decoded text is
// about a third faster, but a 1 MB string per frame lifts the proxy's peak
// memory past 100 MB on long streams of large messages.)
const decoder = new TextDecoder();
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

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
  const out: Skimmed = {
    hasId: false,
    hasParams: false,
    hasResult: false,
    hasError: false,
  };
  // Each byte is walked once: the members of params, result and error are
  // read on the way through them, and their end is where the walk stops,
  // so the large value inside is never skipped twice.
  const value = (start: number): number => skipValue(bytes, start);
  const end = members(bytes, skipWs(bytes, 0), (key, start) => {
    switch (key) {
      case "jsonrpc":
        return scalar(start, (v) => {
          out.jsonrpc = v;
        });
      case "id":
        out.hasId = true;
        return scalar(start, (v) => {
          out.id = v;
        }, true);
      case "method":
        return scalar(start, (v) => {
          out.method = v;
        });
      case "params":
        out.hasParams = true;
        if (bytes[start] !== 0x7b) return value(start);
        return members(bytes, start, (k, s) => {
          if (k !== "name" || bytes[s] !== QUOTE) return value(s);
          return scalar(s, (v) => {
            if (typeof v === "string") out.paramsName = v;
          });
        });
      case "result":
        out.hasResult = true;
        if (bytes[start] !== 0x7b) return value(start);
        return members(bytes, start, (k, s) => {
          if (k !== "isError") return value(s);
          return scalar(s, (v) => {
            if (typeof v === "boolean") out.isError = v;
          });
        });
      case "error":
        out.hasError = true;
        if (bytes[start] !== 0x7b) return value(start);
        return members(bytes, start, (k, s) => {
          if (k === "code") {
            return scalar(s, (v) => {
              out.errorCode = v;
            }, true);
          }
          if (k !== "message") return value(s);
          const e = value(s);
          if (e >= 0 && e - s < 65536) {
            out.errorMessage = parseSlice(bytes, s, e);
          }
          return e;
        });
      default:
        return value(start);
    }
  });
  return end >= 0 ? out : undefined;

  /** Skips the value at `start`, handing it parsed to `keep`; its end or -1. */
  function scalar(
    start: number,
    keep: (v: unknown) => void,
    exact = false,
  ): number {
    const e = value(start);
    if (e >= 0) keep(parseSlice(bytes, start, e, exact));
    return e;
  }
}

/**
 * Walks the members of the object starting at `i`, each value skipped by
 * `visit` (which returns where it ends, or -1); the index after the
 * object's close, or -1 when it is malformed.
 */
function members(
  bytes: Uint8Array,
  i: number,
  visit: (key: string | undefined, start: number) => number,
): number {
  if (bytes[i] !== 0x7b) return -1;
  i = skipWs(bytes, i + 1);
  if (bytes[i] === 0x7d) return i + 1;
  while (i < bytes.length) {
    if (bytes[i] !== QUOTE) return -1;
    const keyEnd = skipString(bytes, i);
    if (keyEnd < 0) return -1;
    const key = keyEnd - i < 64 ? parseSlice(bytes, i, keyEnd) : undefined;
    i = skipWs(bytes, keyEnd);
    if (bytes[i] !== 0x3a) return -1;
    const start = skipWs(bytes, i + 1);
    const end = visit(typeof key === "string" ? key : undefined, start);
    if (end < 0) return -1;
    i = skipWs(bytes, end);
    if (bytes[i] === 0x2c) {
      i = skipWs(bytes, i + 1);
      continue;
    }
    return bytes[i] === 0x7d ? i + 1 : -1;
  }
  return -1;
}

function skipWs(bytes: Uint8Array, i: number): number {
  while (i < bytes.length) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) break;
    i++;
  }
  return i;
}

function skipValue(bytes: Uint8Array, i: number): number {
  const b = bytes[i];
  if (b === QUOTE) return skipString(bytes, i);
  if (b === 0x7b || b === 0x5b) {
    let depth = 0;
    while (i < bytes.length) {
      const c = bytes[i];
      if (c === QUOTE) {
        i = skipString(bytes, i);
        if (i < 0) return -1;
        continue;
      }
      if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  // A number, true, false or null.
  const start = i;
  while (i < bytes.length) {
    const c = bytes[i];
    if (
      c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a ||
      c === 0x0d || c === 0x09
    ) break;
    i++;
  }
  return i > start ? i : -1;
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
