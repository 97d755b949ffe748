/**
 * Stage 1 of the pipeline: bytes -> frames. MCP's stdio transport is
 * newline-delimited JSON, so a frame is one line. The splitter keeps raw
 * bytes (it never decodes), accepts chunks split anywhere, strips a trailing
 * CR, and bounds its memory: a line longer than `maxLineBytes` is hashed as
 * it streams past and only its head is kept. The log readers split their
 * files with it too ({@linkcode LineSplitter.ofRanges}).
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { findByte } from "./_find_byte.ts";
import { FrameSkim, type Skimmed } from "./_skim.ts";

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
  /**
   * Hex SHA-256 of `bytes`, for a line longer than the splitter's
   * `hashFrom`: hashed piece by piece as the line was gathered, while each
   * piece was still in the cache, so the audit need not read the line again.
   */
  sha256?: string;
  /**
   * For a line longer than the splitter's `skimFrom`: its skim (what
   * `skimObject` finds in `bytes`; `value` is `undefined` when they are not
   * one JSON object), walked piece by piece as the line was gathered, so
   * the parser need not read the line again.
   */
  skim?: { value: Skimmed | undefined };
  /** Set by the parser when it skimmed the frame instead of parsing it. */
  skimmed?: boolean;
  /**
   * `bytes` lie in a buffer that is reused after `onFrame` returns (the
   * splitter's for a line that spanned chunks, or a reused chunk): copy
   * them (`bytes.slice()`) to keep them.
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
   * The caller reuses a chunk's buffer once `push` returns (a BYOB reader):
   * lines found whole inside a chunk are then emitted as `transient` too.
   * @default {false}
   */
  reusedChunks?: boolean;
  /**
   * Lines that span chunks and grow past this many bytes are hashed as
   * they are gathered, and emitted with their `sha256`.
   * @default {Infinity}
   */
  hashFrom?: number;
  /**
   * Lines that span chunks and grow past this many bytes are skimmed as
   * they are gathered (see `FrameSkim`), and emitted with their `skim`.
   * @default {Infinity}
   */
  skimFrom?: number;
  /**
   * Keep a CR before the LF as part of the line, as the log readers do: a
   * log's hash chain is over its lines' bytes as written.
   * @default {false}
   */
  keepCr?: boolean;
}

/** Options for {@linkcode LineSplitter.ofRanges}. */
export interface LineRangesOptions {
  /**
   * Keep a CR before the LF as part of the line.
   * @default {false}
   */
  keepCr?: boolean;
}

/**
 * Called with each line as a range of a buffer: `buf[start, end)` without
 * its line ending, its 1-based number, and whether a newline ended it. `buf`
 * is only valid during the call (and, when it returns a promise, until that
 * settles) and must not be written to.
 */
export type LineRangeHandler = (
  buf: Uint8Array,
  start: number,
  end: number,
  line: number,
  terminated: boolean,
) => void | Promise<void>;

const defaults = {
  maxLineBytes: 64 * 1024 * 1024,
  headBytes: 4096,
  keepCr: false,
} satisfies LineSplitterOptions;
/** The largest buffer kept for the next line; a longer line's is let go. */
const KEEP_MAX = 16 * 1024 * 1024;

const LF = 10;
const CR = 13;

/**
 * Splits a byte stream into newline-delimited frames. A line found whole
 * inside a chunk is emitted as a view of it; the bytes of a line that spans
 * chunks are gathered in one buffer reused from line to line (so a stream
 * of large messages allocates almost nothing per message), and its frame is
 * `transient`. Nothing of a chunk is kept after `push` returns (or, when it
 * returns a promise, after that settles).
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
  #onFrame: ((frame: Frame) => void) | undefined;
  #onRange: LineRangeHandler | undefined;
  #lineNo = 0;
  #keepCr: boolean;
  #max: number;
  #head: number;
  /** The start of the current line, when it spans chunks. */
  #acc = new Uint8Array(0);
  #accLength = 0;
  #hash: Hash | undefined;
  #hashedLength = 0;
  #hashFrom: number;
  /** The SHA-256 of the gathered line so far, once it is past `#hashFrom`. */
  #lineHash: Hash | undefined;
  #skimFrom: number;
  /** The skim of the gathered line so far, once it is past `#skimFrom`. */
  #lineSkim: FrameSkim | undefined;
  #headBytes: Uint8Array | undefined;
  #reusedChunks: boolean;

  /** Creates a splitter that calls `onFrame` for each complete line. */
  constructor(
    onFrame: (frame: Frame) => void,
    options: LineSplitterOptions = {},
  ) {
    this.#onFrame = onFrame;
    this.#max = options.maxLineBytes ?? defaults.maxLineBytes;
    this.#head = options.headBytes ?? defaults.headBytes;
    this.#reusedChunks = options.reusedChunks ?? false;
    this.#keepCr = options.keepCr ?? defaults.keepCr;
    this.#hashFrom = options.hashFrom ?? Infinity;
    this.#skimFrom = options.skimFrom ?? Infinity;
  }

  /**
   * A splitter for reading a file: each line goes to `onLine` as a range of
   * a buffer with its number, so a reader makes no object per line; lines
   * are kept whole however long; and when `onLine` returns a promise, the
   * next line waits for it (`push` and `end` then return a promise).
   *
   * @example Numbered lines, the last one unterminated, out of split chunks
   * ```ts
   * import { LineSplitter } from "./line_splitter.ts";
   * import assert from "node:assert/strict";
   *
   * const seen: [string, number, boolean][] = [];
   * const splitter = LineSplitter.ofRanges((buf, start, end, line, terminated) => {
   *   seen.push([new TextDecoder().decode(buf.subarray(start, end)), line, terminated]);
   * }, { keepCr: true });
   * const enc = new TextEncoder();
   * await splitter.push(enc.encode("a\r\nb"));
   * await splitter.push(enc.encode("c\nd"));
   * await splitter.end();
   * assert.deepEqual(seen, [["a\r", 1, true], ["bc", 2, true], ["d", 3, false]]);
   * ```
   */
  static ofRanges(
    onLine: LineRangeHandler,
    options: LineRangesOptions = {},
  ): LineSplitter {
    const splitter = new LineSplitter(() => {}, {
      maxLineBytes: Infinity,
      keepCr: options.keepCr,
    });
    splitter.#onFrame = undefined;
    splitter.#onRange = onLine;
    return splitter;
  }

  /** How many lines have been emitted. */
  get lines(): number {
    return this.#lineNo;
  }

  /**
   * Feeds a chunk; complete lines in it are emitted before this returns,
   * unless a line handler (of {@linkcode LineSplitter.ofRanges}) returns a
   * promise: the rest then follows it, and this returns a promise of the
   * whole chunk. Push the next chunk once it settles.
   */
  push(chunk: Uint8Array): Promise<void> | undefined {
    return this.#scan(chunk, 0);
  }

  /**
   * Ends the stream: a last line without a newline is emitted as
   * `unterminated`. Returns the line handler's promise, if it returned one.
   */
  end(): Promise<void> | undefined {
    if (this.#accLength > 0 || this.#hash !== undefined) {
      return this.#flush(true);
    }
    return undefined;
  }

  #scan(chunk: Uint8Array, from: number): Promise<void> | undefined {
    let start = from;
    while (start < chunk.length) {
      const nl = findByte(chunk, LF, start);
      if (nl === -1) {
        this.#buffer(chunk.subarray(start));
        return undefined;
      }
      const lineStart = start;
      start = nl + 1;
      let wait: Promise<void> | undefined;
      if (
        this.#accLength === 0 && this.#hash === undefined &&
        nl - lineStart <= this.#max
      ) {
        wait = this.#emit(chunk, lineStart, nl, false, this.#reusedChunks);
      } else {
        this.#buffer(chunk.subarray(lineStart, nl));
        wait = this.#flush(false);
      }
      if (wait !== undefined) {
        // A reader's handler that waits (verify, hashing lines in batches)
        // holds back the rest of the chunk, so lines stay in order and the
        // buffer it was given is not overwritten before it is done.
        const rest = start;
        return wait.then(() => this.#scan(chunk, rest));
      }
    }
    return undefined;
  }

  #buffer(piece: Uint8Array): void {
    if (piece.length === 0) return;
    if (this.#hash !== undefined) {
      this.#hash.update(piece);
      this.#hashedLength += piece.length;
      return;
    }
    if (this.#accLength + piece.length > this.#max) {
      // Switch to streaming mode: keep the head, hash everything.
      const all = this.#acc.subarray(0, this.#accLength);
      const head = new Uint8Array(
        Math.min(this.#head, all.length + piece.length),
      );
      head.set(all.subarray(0, head.length));
      if (all.length < head.length) {
        head.set(piece.subarray(0, head.length - all.length), all.length);
      }
      this.#headBytes = head;
      this.#hash = (this.#lineHash ?? createHash("sha256").update(all))
        .update(piece);
      this.#lineHash = undefined;
      this.#lineSkim = undefined;
      this.#hashedLength = all.length + piece.length;
      this.#accLength = 0;
      this.#release();
      return;
    }
    const length = this.#accLength + piece.length;
    if (length > this.#acc.length) {
      const grown = new Uint8Array(
        Math.max(length, 2 * this.#acc.length, 4096),
      );
      grown.set(this.#acc.subarray(0, this.#accLength));
      this.#acc = grown;
    }
    this.#acc.set(piece, this.#accLength);
    this.#accLength = length;
    if (this.#lineHash !== undefined) this.#lineHash.update(piece);
    else if (length > this.#hashFrom) {
      this.#lineHash = createHash("sha256").update(
        this.#acc.subarray(0, length),
      );
    }
    if (this.#lineSkim !== undefined) {
      this.#lineSkim.update(this.#acc.subarray(0, length));
    } else if (length > this.#skimFrom) {
      this.#lineSkim = new FrameSkim();
      this.#lineSkim.update(this.#acc.subarray(0, length));
    }
  }

  /** Lets go of a buffer grown past {@linkcode KEEP_MAX} by a long line. */
  #release(): void {
    if (this.#acc.length > KEEP_MAX) this.#acc = new Uint8Array(0);
  }

  #flush(unterminated: boolean): Promise<void> | undefined {
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
      this.#lineNo++;
      this.#onFrame?.(frame);
      return undefined;
    }
    const length = this.#accLength;
    this.#accLength = 0;
    let sha256: string | undefined;
    // A CR the frame leaves out was hashed and skimmed: then the parser
    // hashes and skims the frame itself.
    const whole = this.#keepCr || this.#acc[length - 1] !== CR;
    if (this.#lineHash !== undefined) {
      if (whole) sha256 = this.#lineHash.digest("hex");
      this.#lineHash = undefined;
    }
    let skim: Frame["skim"];
    if (this.#lineSkim !== undefined) {
      if (whole) {
        skim = { value: this.#lineSkim.end(this.#acc.subarray(0, length)) };
      }
      this.#lineSkim = undefined;
    }
    const wait = this.#emit(
      this.#acc,
      0,
      length,
      unterminated,
      true,
      sha256,
      skim,
    );
    // A handler that waits still holds the buffer: let go of it afterwards.
    if (wait !== undefined) return wait.then(() => this.#release());
    this.#release();
    return undefined;
  }

  /** Emits `buf[start, end)`, without the CR before its LF unless kept. */
  #emit(
    buf: Uint8Array,
    start: number,
    end: number,
    unterminated: boolean,
    transient: boolean,
    sha256?: string,
    skim?: Frame["skim"],
  ): Promise<void> | undefined {
    if (!this.#keepCr && end > start && buf[end - 1] === CR) end--;
    if (this.#onRange !== undefined) {
      return this.#onRange(buf, start, end, ++this.#lineNo, !unterminated) ??
        undefined;
    }
    this.#lineNo++;
    const bytes = buf.subarray(start, end);
    const frame: Frame = { bytes, length: bytes.length };
    if (unterminated) frame.unterminated = true;
    if (transient) frame.transient = true;
    if (sha256 !== undefined) frame.sha256 = sha256;
    if (skim !== undefined) frame.skim = skim;
    this.#onFrame!(frame);
    return undefined;
  }
}
