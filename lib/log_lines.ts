/**
 * Reads a log file as numbered raw lines, streamed in large blocks, for the
 * commands that check logs (verify, prove, check, summary). Lines stay
 * bytes: the hash chain is over the bytes as written, never over a
 * re-serialisation.
 *
 * @module
 */
import { LogReadError, openFailure } from "./log_reader.ts";

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
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw new LogReadError(path, openFailure(path, error), { cause: error });
  }
  const block = new Uint8Array(options.blockBytes ?? defaults.blockBytes);
  let carry: Uint8Array | undefined;
  let lineNo = 0;
  try {
    while (true) {
      let n: number | null;
      try {
        n = await file.read(block);
      } catch (error) {
        throw new LogReadError(
          path,
          `Cannot read audit log "${path}" after line ${lineNo}: ${
            error instanceof Error ? error.message : String(error)
          }. Check that the file is readable and not being replaced.`,
          { cause: error },
        );
      }
      if (n === null) break;
      const chunk = block.subarray(0, n);
      let start = 0;
      let nl = chunk.indexOf(10);
      while (nl !== -1) {
        let bytes: Uint8Array = chunk.subarray(start, nl);
        if (carry) {
          bytes = concat(carry, bytes);
          carry = undefined;
        }
        const pending = onLine(bytes, ++lineNo, true);
        if (pending) await pending;
        start = nl + 1;
        nl = chunk.indexOf(10, start);
      }
      // The block is reused by the next read: keep a copy of the rest.
      if (start < n) {
        carry = carry
          ? concat(carry, chunk.subarray(start))
          : chunk.slice(start);
      }
    }
    if (carry && carry.length > 0) {
      const pending = onLine(carry, ++lineNo, false);
      if (pending) await pending;
    }
  } finally {
    file.close();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
