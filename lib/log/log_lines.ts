/**
 * Reads a log file as numbered raw lines, streamed in large blocks, for the
 * commands that check logs (verify, prove, check, summary). Lines stay
 * bytes: the hash chain is over the bytes as written, never over a
 * re-serialisation.
 *
 * @module
 */
import { LogReadError, openFailure, readFailure } from "./log_reader.ts";

/** Called with each line: its 1-based number and its bytes without the `\n`. */
export type LineHandler = (
  bytes: Uint8Array,
  line: number,
  terminated: boolean,
) => void | Promise<void>;

/** Options for {@linkcode readLines}. */
export interface ReadLinesOptions {
  /**
   * Bytes read from the file at a time.
   * @default {4194304} (4 MiB)
   */
  blockBytes?: number;
}

const defaults = { blockBytes: 4 * 1024 * 1024 } satisfies ReadLinesOptions;

/**
 * Called with each line as a range of a buffer: `buf[start, end)` without
 * the `\n`, its 1-based number, and whether a `\n` ended it.
 */
export type LineRangeHandler = (
  buf: Uint8Array,
  start: number,
  end: number,
  line: number,
  terminated: boolean,
) => void | Promise<void>;

/**
 * Calls `onLine` for every line of `path`, in order, with constant memory
 * (one block, plus the longest line). `bytes` is only valid during the call:
 * copy it to keep it. The last line is passed with `terminated` false when
 * the file does not end in `\n`. Throws {@linkcode LogReadError}.
 *
 * @example
 * ```ts
 * import { readLines } from "./log_lines.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "a\nbc\nd");
 * const seen: [string, number, boolean][] = [];
 * await readLines(path, (bytes, line, terminated) => {
 *   seen.push([new TextDecoder().decode(bytes), line, terminated]);
 * });
 * assert.deepEqual(seen, [["a", 1, true], ["bc", 2, true], ["d", 3, false]]);
 * await Deno.remove(path);
 * ```
 */
export async function readLines(
  path: string,
  onLine: LineHandler,
  options: ReadLinesOptions = {},
): Promise<void> {
  await readLineRanges(
    path,
    (buf, start, end, line, terminated) =>
      onLine(buf.subarray(start, end), line, terminated),
    options,
  );
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Calls `onRecord` with every complete line of `path` that parses as a
 * JSON object, in order; other lines (a cut last line, invalid JSON or
 * UTF-8) are skipped: `verify` is what reports them.
 *
 * @example
 * ```ts
 * import { readRecords } from "./log_lines.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, '{"seq":0}\nnot json\n{"seq":2}\n{"seq":3');
 * const seen: [unknown, number][] = [];
 * await readRecords(path, (record, line) => seen.push([record.seq, line]));
 * assert.deepEqual(seen, [[0, 1], [2, 3]]);
 * await Deno.remove(path);
 * ```
 */
export async function readRecords(
  path: string,
  onRecord: (record: Record<string, unknown>, line: number) => void,
): Promise<void> {
  await readLines(path, (bytes, line, terminated) => {
    if (!terminated) return;
    let record: unknown;
    try {
      record = JSON.parse(strictDecoder.decode(bytes));
    } catch {
      return;
    }
    if (typeof record === "object" && record !== null) {
      onRecord(record as Record<string, unknown>, line);
    }
  });
}

/**
 * As {@linkcode readLines}, but each line is passed as a range of a buffer,
 * so the hot loops of the checking commands make no object per line. The
 * next block is read while this one is handled. `buf` is only valid during
 * the call and must not be written to. Returns the bytes read.
 *
 * @example
 * ```ts
 * import { readLineRanges } from "./log_lines.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "ab\ncde\nf");
 * const seen: [string, number, boolean][] = [];
 * const bytes = await readLineRanges(path, (buf, start, end, line, terminated) => {
 *   seen.push([new TextDecoder().decode(buf.subarray(start, end)), line, terminated]);
 * }, { blockBytes: 4 });
 * assert.deepEqual(seen, [["ab", 1, true], ["cde", 2, true], ["f", 3, false]]);
 * assert.equal(bytes, 8);
 * await Deno.remove(path);
 * ```
 */
export async function readLineRanges(
  path: string,
  onLine: LineRangeHandler,
  options: ReadLinesOptions = {},
): Promise<number> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw new LogReadError(path, openFailure(path, error), { cause: error });
  }
  const size = options.blockBytes ?? defaults.blockBytes;
  let block = new Uint8Array(size);
  let spare = new Uint8Array(size);
  // The start of a line that runs past the end of a block.
  let carry = new Uint8Array(0);
  let carried = 0;
  let lineNo = 0;
  let total = 0;
  function read(into: Uint8Array): Promise<number | null> {
    return file.read(into).catch(function readFailed(error): never {
      throw readFailure(path, lineNo, error);
    });
  }
  function keep(bytes: Uint8Array): void {
    if (carried + bytes.length > carry.length) {
      const grown = new Uint8Array(
        Math.max(2 * carry.length, carried + bytes.length, 4096),
      );
      grown.set(carry.subarray(0, carried));
      carry = grown;
    }
    carry.set(bytes, carried);
    carried += bytes.length;
  }
  let pending: Promise<number | null> | undefined = read(block);
  try {
    while (pending) {
      const n = await pending;
      pending = undefined;
      if (n === null) break;
      total += n;
      const chunk = block.subarray(0, n);
      // Read the next block while this one is handled.
      pending = read(spare);
      let start = 0;
      let nl = chunk.indexOf(10);
      if (nl !== -1 && carried > 0) {
        keep(chunk.subarray(0, nl));
        const length = carried;
        carried = 0;
        const done = onLine(carry, 0, length, ++lineNo, true);
        if (done) await done;
        start = nl + 1;
        nl = chunk.indexOf(10, start);
      }
      while (nl !== -1) {
        const done = onLine(chunk, start, nl, ++lineNo, true);
        if (done) await done;
        start = nl + 1;
        nl = chunk.indexOf(10, start);
      }
      // The block is reused by a later read: keep a copy of the rest.
      if (start < n) keep(chunk.subarray(start, n));
      const next = spare;
      spare = block;
      block = next;
    }
    if (carried > 0) {
      const done = onLine(carry, 0, carried, ++lineNo, false);
      if (done) await done;
    }
  } finally {
    // A read still under way is awaited before the file is closed.
    if (pending) await pending.catch(() => null);
    file.close();
  }
  return total;
}
