/**
 * Reads a log while the proxy is still writing it, for `mcp-audit tail`:
 * every complete line in order, across the parts of a rotated log, waiting
 * for more at the end. A last line without its newline is a line being
 * written: it is held back until its newline arrives, never parsed half.
 *
 * @module
 */
import { LogReadError, openFailure } from "./log_reader.ts";
import { rotatedName } from "./log_writer.ts";

/** Where a followed line is: its file and 1-based line number. */
export interface FollowedLine {
  /** The file. */
  path: string;
  /** The 1-based line number in that file. */
  line: number;
}

/** Options for {@linkcode followLog}. */
export interface FollowLogOptions {
  /**
   * Keep waiting at the end for more lines and new parts; without it the
   * lines there are now are read and the call returns.
   * @default {false}
   */
  follow?: boolean;
  /**
   * Milliseconds between looks at the end of the file while following.
   * @default {200}
   */
  pollMs?: number;
  /** Stops following (at the next look). */
  signal?: AbortSignal;
  /**
   * Asked at the end of the log, while following, whether nothing more
   * will come (the writer is gone); on `true` the log is read to its end
   * once more, for what was written meanwhile, and the call returns.
   */
  onIdle?: () => boolean;
}

const defaults = { follow: false, pollMs: 200 } satisfies FollowLogOptions;

/**
 * Calls `onRecord` with each complete line of the log whose first file is
 * `first`, parsed (lines that are not JSON objects are skipped), then of
 * its rotated parts (`a.2.jsonl`, ...) as they appear. Returns when the end
 * is reached (not following), or when `signal` aborts or `onRecord` returns
 * `true`. Throws `LogReadError` when the first file cannot be read.
 *
 * @example
 * ```ts
 * import { followLog } from "./log_follower.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.jsonl`, '{"seq":0}\n{"seq":1}\n');
 * await Deno.writeTextFile(`${dir}/a.2.jsonl`, '{"seq":2}\n{"seq":3,"par');
 * const seen: unknown[] = [];
 * await followLog(`${dir}/a.jsonl`, (r) => { seen.push(r.seq); });
 * assert.deepEqual(seen, [0, 1, 2], "the half-written line is not read");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function followLog(
  first: string,
  onRecord: (
    record: Record<string, unknown>,
    where: FollowedLine,
  ) => boolean | void,
  options: FollowLogOptions = {},
): Promise<void> {
  const o = { ...defaults, ...options };
  const decoder = new TextDecoder();
  let path = first;
  let part = 1;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw new LogReadError(path, openFailure(path, error), { cause: error });
  }
  let held = new Uint8Array(0);
  let line = 0;
  let drained = false;
  let stopping = false;
  const buffer = new Uint8Array(256 * 1024);
  try {
    while (!o.signal?.aborted) {
      const n = await file.read(buffer);
      if (n !== null && n > 0) {
        const chunk = held.length === 0
          ? buffer.subarray(0, n)
          : concat(held, buffer.subarray(0, n));
        let start = 0;
        for (
          let nl = chunk.indexOf(0x0a);
          nl >= 0;
          nl = chunk.indexOf(0x0a, start)
        ) {
          line++;
          const text = decoder.decode(chunk.subarray(start, nl));
          start = nl + 1;
          let record: unknown;
          try {
            record = JSON.parse(text);
          } catch {
            continue;
          }
          if (typeof record !== "object" || record === null) continue;
          if (onRecord(record as Record<string, unknown>, { path, line })) {
            return;
          }
        }
        held = chunk.slice(start);
        continue;
      }
      // At the end of this file. Once a later part exists this one will
      // not grow: read it to its end once more, then go on to the next.
      const next = rotatedName(first, part + 1);
      if (await exists(next)) {
        if (!drained) {
          drained = true;
          continue;
        }
        const opened = await Deno.open(next, { read: true });
        file.close();
        file = opened;
        path = next;
        part++;
        line = 0;
        held = new Uint8Array(0);
        drained = false;
        continue;
      }
      if (!o.follow || stopping) return;
      if (o.onIdle?.()) {
        stopping = true;
        continue;
      }
      await sleep(o.pollMs, o.signal);
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

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
