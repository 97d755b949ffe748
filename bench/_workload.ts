/**
 * Generated input for the proxy benchmarks: seeded, valid JSON-RPC lines of
 * an exact size, made once as a block and written repeatedly.
 *
 * @module
 */

import { seeded } from "../tests/_seeded.ts";

/** A workload: the chunks to write, with their total size. */
export interface Workload {
  /** Chunks in order; the same buffer may come back more than once. */
  chunks(): Iterable<Uint8Array>;
  /** Total bytes written. */
  bytes: number;
  /** Total messages (lines) written. */
  messages: number;
}

const WORDS = [
  "employee",
  "salary",
  "review",
  "quarter",
  "report",
  "draft",
  "alpha",
  "ledger",
  "note",
  "meeting",
  "summary",
  "id",
  "42",
  "2026-07-28",
  "\\n",
  '\\"quoted\\"',
  "ok",
  "path/to/file.md",
];

/** ASCII JSON-string text of exactly `length` bytes, with a few escapes. */
function filler(length: number, rand: () => number): string {
  let text = "";
  while (text.length < length) {
    text += WORDS[Math.floor(rand() * WORDS.length)] + " ";
  }
  text = text.slice(0, length);
  // Never end on half an escape.
  while (text.endsWith("\\")) text = text.slice(0, -1) + "x";
  return text;
}

/** One JSON-RPC line of exactly `size` bytes (newline included). */
function message(
  index: number,
  size: number,
  rand: () => number,
): string {
  const request = index % 2 === 0;
  const head = request
    ? `{"jsonrpc":"2.0","id":${index},"method":"tools/call","params":{"name":"write_note","arguments":{"path":"notes/${index}.md","text":"`
    : `{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","logger":"bench","data":"`;
  const tail = request ? `"}}}\n` : `"}}\n`;
  return head + filler(size - head.length - tail.length, rand) + tail;
}

/**
 * `count` JSON-RPC messages of `size` bytes, half `tools/call` requests and
 * half notifications. A block of `distinct` messages is made once and
 * written repeatedly, so request ids repeat every `distinct` messages: with
 * `cat` as the server no request is ever answered, and repeating ids keeps
 * the proxy's table of pending requests bounded as a real session's is.
 *
 * @example
 * ```ts
 * import { messages } from "./_workload.ts";
 * import assert from "node:assert/strict";
 *
 * const w = messages(10, 1024, 4);
 * const lines = [...w.chunks()].map((c) => new TextDecoder().decode(c)).join("").split("\n");
 * assert.equal(w.bytes, 10 * 1024);
 * assert.equal(JSON.parse(lines[0]).method, "tools/call");
 * assert.equal(lines[9].length, 1023);
 * ```
 */
export function messages(
  count: number,
  size: number,
  distinct: number,
): Workload {
  const rand = seeded(42);
  const n = Math.min(distinct, count);
  const block = new TextEncoder().encode(
    Array.from({ length: n }, (_, i) => message(i, size, rand)).join(""),
  );
  if (block.length !== n * size) {
    throw new RangeError(`Generated ${block.length} bytes, wanted ${n * size}`);
  }
  const maxChunk = Math.max(size, 256 * 1024);
  const perChunk = Math.max(1, Math.floor(maxChunk / size));
  return {
    bytes: count * size,
    messages: count,
    *chunks(): Iterable<Uint8Array> {
      let left = count;
      let at = 0;
      while (left > 0) {
        const take = Math.min(left, perChunk, n - at);
        yield block.subarray(at * size, (at + take) * size);
        left -= take;
        at = (at + take) % n;
      }
    },
  };
}
