/**
 * Reads a log file as numbered raw lines, streamed in large blocks, for the
 * commands that check logs (verify, prove, check, summary). Lines stay
 * bytes: the hash chain is over the bytes as written, never over a
 * re-serialisation.
 *
 * @module
 */
import { type LineRangeHandler, LineSplitter } from "../wire/line_splitter.ts";
import { LogReadError, openFailure, readFailure } from "./log_reader.ts";

export type { LineRangeHandler };

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
  let total = 0;
  // The hash chain is over the bytes as written: a CR stays in the line.
  const splitter = LineSplitter.ofRanges(onLine, { keepCr: true });
  function read(into: Uint8Array): Promise<number | null> {
    return file.read(into).catch(function readFailed(error): never {
      throw readFailure(path, splitter.lines, error);
    });
  }
  let pending: Promise<number | null> | undefined = read(block);
  try {
    while (pending) {
      const n = await pending;
      pending = undefined;
      if (n === null) break;
      total += n;
      // Read the next block while this one is handled; the splitter keeps
      // a copy of a line that runs past the block, which a later read reuses.
      pending = read(spare);
      const done = splitter.push(block.subarray(0, n));
      if (done) await done;
      const next = spare;
      spare = block;
      block = next;
    }
    const done = splitter.end();
    if (done) await done;
  } finally {
    // A read still under way is awaited before the file is closed.
    if (pending) await pending.catch(() => null);
    file.close();
  }
  return total;
}
