/**
 * Duplicate keys in a JSON text. `JSON.parse` keeps the last of a repeated
 * key without a word; another parser may keep the first, so client and
 * server may have read different messages. This finds which keys repeat,
 * and where, so the log can say so.
 *
 * @module
 */

/** A key that occurs more than once in one object of a message. */
export interface DuplicateKey {
  /**
   * Where the object is, from the message's root: `params.arguments`,
   * `result.content[0]`, or `""` for the message itself.
   */
  path: string;
  /** The repeated key (its value in the log is the last one). */
  key: string;
}

interface Container {
  /** Keys seen so far (objects), or undefined (arrays). */
  keys?: Set<string>;
  /** Reported keys, so a key seen three times is listed once. */
  reported?: Set<string>;
  /** The next element's index (arrays). */
  index: number;
  path: string;
}

/**
 * Every duplicate key in valid JSON text: `[]` when there is none. Keys
 * that occur more than twice are listed once. For an array (a JSON-RPC
 * batch), paths start with the element's index, `[0]`. It walks the whole
 * text (only its structure: strings are jumped over with `indexOf`);
 * `_parse_losses.ts` first finds out cheaply whether there is any.
 *
 * @example
 * ```ts
 * import { findDuplicateKeys } from "./duplicate_keys.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   findDuplicateKeys('{"method":"a","params":{"x":1,"x":2},"method":"b"}'),
 *   [{ path: "params", key: "x" }, { path: "", key: "method" }],
 * );
 * assert.deepEqual(findDuplicateKeys('{"a":"\\":1"}'), []);
 * ```
 */
export function findDuplicateKeys(text: string): DuplicateKey[] {
  const out: DuplicateKey[] = [];
  const stack: Container[] = [];
  // The path of the value about to start.
  let next = "";
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (top?.keys && isKey(text, end)) {
        const raw = text.slice(i + 1, end - 1);
        const key = raw.includes("\\") ? JSON.parse(`"${raw}"`) : raw;
        if (top.keys.has(key)) {
          top.reported ??= new Set();
          if (!top.reported.has(key)) {
            top.reported.add(key);
            out.push({ path: top.path, key });
          }
        } else top.keys.add(key);
        next = top.path ? `${top.path}.${key}` : key;
      }
      i = end;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      const top = stack[stack.length - 1];
      const path = top && !top.keys ? `${top.path}[${top.index}]` : next;
      stack.push(
        c === 0x7b ? { keys: new Set(), index: 0, path } : { index: 0, path },
      );
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      const top = stack[stack.length - 1];
      if (top && !top.keys) top.index++;
    }
    i++;
  }
  return out;
}

/** `i` is at an opening quote; the index after the closing one. */
function stringEnd(text: string, i: number): number {
  let from = i + 1;
  while (true) {
    const q = text.indexOf('"', from);
    if (q < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** Whether the string ending before `end` is a key: a colon follows. */
function isKey(text: string, end: number): boolean {
  let c = text.charCodeAt(end);
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
    c = text.charCodeAt(++end);
  }
  return c === 0x3a;
}
