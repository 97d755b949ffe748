/**
 * Stage 1 of the pipeline: bytes -> frames. MCP's stdio transport is
 * newline-delimited JSON, so a frame is one line. The splitter keeps raw
 * bytes (it never decodes), accepts chunks split anywhere, strips a trailing
 * CR, and bounds its memory: a line longer than `maxLineBytes` is hashed as
 * it streams past and only its head is kept.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";

/** One line of the stream, without its line ending. */
export interface Frame {
  /** The line's bytes (CR and LF removed); only the head when `oversized`. */
  bytes: Uint8Array;
  /** Full byte length of the line, without its line ending. */
  length: number;
  /** Set when the line exceeded `maxLineBytes`: `bytes` is the head only. */
  oversized?: { sha256: string };
  /** The stream ended without a final newline after this line. */
  unterminated?: boolean;
  /** Set by the parser when it skimmed the frame instead of parsing it. */
  skimmed?: boolean;
  /**
   * `bytes` lie in a buffer the splitter reuses for the next long line:
   * they hold only while `onFrame` runs. Copy them (`bytes.slice()`) to
   * keep them.
   */
  transient?: boolean;
}

/** Options for {@linkcode LineSplitter}. */
export interface LineSplitterOptions {
  /**
   * Lines up to this many bytes are kept whole for parsing; longer ones are
   * hashed and only their first `headBytes` kept.
   * @default {67108864} (64 MiB)
   */
  maxLineBytes?: number;
  /**
   * How much of an oversized line to keep.
   * @default {4096}
   */
  headBytes?: number;
  /**
   * Lines longer than this (and up to 16 MiB) are assembled in one buffer
   * reused from line to line and emitted as `transient`, instead of in a
   * new buffer each: a stream of large messages then allocates almost
   * nothing per message. Off unless given.
   */
  reuseAbove?: number;
}

const defaults = {
  maxLineBytes: 64 * 1024 * 1024,
  headBytes: 4096,
  reuseAbove: Infinity,
} satisfies LineSplitterOptions;
/** The largest line assembled in the reused buffer. */
const REUSE_MAX = 16 * 1024 * 1024;

const LF = 10;
const CR = 13;

/**
 * Splits a byte stream into newline-delimited frames. Chunks are kept by
 * reference until their line is complete, so a caller must not reuse a
 * chunk's buffer after pushing it (stream readers never do).
 *
 * @example Frames out of chunks split mid-line
 * ```ts
 * import { LineSplitter } from "./line_splitter.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const splitter = new LineSplitter((f) => lines.push(new TextDecoder().decode(f.bytes)));
 * const enc = new TextEncoder();
 * splitter.push(enc.encode('{"a":1}\r\n{"b"'));
 * splitter.push(enc.encode(":2}\n"));
 * splitter.end();
 * assert.deepEqual(lines, ['{"a":1}', '{"b":2}']);
 * ```
 */
export class LineSplitter {
  #onFrame: (frame: Frame) => void;
  #max: number;
  #head: number;
  #parts: Uint8Array[] = [];
  #partLength = 0;
  #hash: Hash | undefined;
  #hashedLength = 0;
  #headBytes: Uint8Array | undefined;
  #reuseAbove: number;
  #scratch = new Uint8Array(0);

  /** Creates a splitter that calls `onFrame` for each complete line. */
  constructor(
    onFrame: (frame: Frame) => void,
    options: LineSplitterOptions = {},
  ) {
    this.#onFrame = onFrame;
    this.#max = options.maxLineBytes ?? defaults.maxLineBytes;
    this.#head = options.headBytes ?? defaults.headBytes;
    this.#reuseAbove = options.reuseAbove ?? defaults.reuseAbove;
  }

  /** Feeds a chunk; complete lines in it are emitted before this returns. */
  push(chunk: Uint8Array): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) {
        this.#buffer(chunk.subarray(start));
        return;
      }
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (
        this.#partLength === 0 && this.#hash === undefined &&
        piece.length <= this.#max
      ) {
        this.#emit(stripCr(piece), false);
      } else {
        this.#buffer(piece);
        this.#flush(false);
      }
    }
  }

  /** Ends the stream: a last line without a newline is emitted as `unterminated`. */
  end(): void {
    if (this.#partLength > 0 || this.#hash !== undefined) this.#flush(true);
  }

  #buffer(piece: Uint8Array): void {
    if (piece.length === 0) return;
    if (this.#hash !== undefined) {
      this.#hash.update(piece);
      this.#hashedLength += piece.length;
      return;
    }
    if (this.#partLength + piece.length > this.#max) {
      // Switch to streaming mode: keep the head, hash everything.
      const all = concat(this.#parts, this.#partLength);
      this.#headBytes = all.slice(0, this.#head);
      if (this.#headBytes.length < this.#head) {
        this.#headBytes = concat(
          [
            this.#headBytes,
            piece.subarray(0, this.#head - this.#headBytes.length),
          ],
          Math.min(this.#head, all.length + piece.length),
        );
      }
      this.#hash = createHash("sha256").update(all).update(piece);
      this.#hashedLength = all.length + piece.length;
      this.#parts = [];
      this.#partLength = 0;
      return;
    }
    // Kept without copying: callers hand over chunks they do not reuse.
    this.#parts.push(piece);
    this.#partLength += piece.length;
  }

  #flush(unterminated: boolean): void {
    if (this.#hash !== undefined) {
      // A trailing CR was hashed as part of the line; it is a rare edge of an
      // already pathological line, so the length and hash keep it.
      const frame: Frame = {
        bytes: this.#headBytes ?? new Uint8Array(),
        length: this.#hashedLength,
        oversized: { sha256: this.#hash.digest("hex") },
      };
      if (unterminated) frame.unterminated = true;
      this.#hash = undefined;
      this.#headBytes = undefined;
      this.#hashedLength = 0;
      this.#onFrame(frame);
      return;
    }
    const length = this.#partLength;
    const reuse = length > this.#reuseAbove && length <= REUSE_MAX;
    let line: Uint8Array;
    if (reuse) {
      if (this.#scratch.length < length) {
        this.#scratch = new Uint8Array(Math.min(REUSE_MAX, length * 2));
      }
      line = concatInto(this.#parts, this.#scratch.subarray(0, length));
    } else {
      line = concat(this.#parts, length);
    }
    this.#parts = [];
    this.#partLength = 0;
    this.#emit(stripCr(line), unterminated, reuse);
  }

  #emit(bytes: Uint8Array, unterminated: boolean, transient = false): void {
    const frame: Frame = { bytes, length: bytes.length };
    if (unterminated) frame.unterminated = true;
    if (transient) frame.transient = true;
    this.#onFrame(frame);
  }
}

function stripCr(line: Uint8Array): Uint8Array {
  return line.length > 0 && line[line.length - 1] === CR
    ? line.subarray(0, line.length - 1)
    : line;
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  return concatInto(parts, new Uint8Array(length));
}

function concatInto(parts: Uint8Array[], out: Uint8Array): Uint8Array {
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
