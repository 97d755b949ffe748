/**
 * What a log has had acknowledged by the central store: one small JSON file
 * per (log file, destination), replaced atomically (written beside, then
 * renamed) after each batch the store accepted. A killed `ship` resumes at
 * the cursor; the batch in flight when it was killed is sent again, which
 * the store's `ReplacingMergeTree` on (session, seq) absorbs.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** A cursor: how far a log file has been acknowledged. */
export interface ShipCursor {
  /** The format. */
  v: 1;
  /** The log file, absolute. */
  path: string;
  /** Where it went: `http://host:port/database`. */
  destination: string;
  /** Bytes acknowledged, from the start of the file: always a line's end. */
  offset: number;
  /** Lines acknowledged. */
  lines: number;
}

/**
 * The cursor file of `path` shipped to `destination`, in `dir`.
 *
 * @example
 * ```ts
 * import { cursorPath } from "./ship_cursor.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(cursorPath("/c", "/logs/a.jsonl", "http://h:8123/db"), /^\/c\/a\.jsonl\.[0-9a-f]{16}\.cursor\.json$/);
 * ```
 */
export function cursorPath(
  dir: string,
  path: string,
  destination: string,
): string {
  const name = path.slice(
    Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1,
  );
  const id = createHash("sha256").update(`${destination}\n${path}`).digest(
    "hex",
  ).slice(0, 16);
  return `${dir}/${name}.${id}.cursor.json`;
}

/**
 * Reads a cursor; a missing file is the start of the log. A damaged cursor
 * throws, naming the file: shipping from the start again is safe (the store
 * deduplicates), so the fix is to delete it.
 *
 * @example
 * ```ts
 * import { readCursor } from "./ship_cursor.ts";
 * import assert from "node:assert/strict";
 *
 * const cursor = await readCursor("/no/such.cursor.json", "/l/a.jsonl", "d");
 * assert.equal(cursor.offset, 0);
 * ```
 */
export async function readCursor(
  file: string,
  path: string,
  destination: string,
): Promise<ShipCursor> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { v: 1, path, destination, offset: 0, lines: 0 };
    }
    throw error;
  }
  try {
    const cursor = JSON.parse(text) as ShipCursor;
    if (
      cursor.v !== 1 || !Number.isSafeInteger(cursor.offset) ||
      cursor.offset < 0 || !Number.isSafeInteger(cursor.lines)
    ) throw new TypeError("not a cursor");
    return cursor;
  } catch (error) {
    throw new TypeError(
      `The ship cursor "${file}" is damaged: delete it to ship "${path}" again from its start (rows already in the store are not doubled).`,
      { cause: error },
    );
  }
}

/**
 * Writes a cursor atomically: to a temporary file beside, then renamed
 * over the old one, so a kill leaves the old cursor or the new, never half.
 *
 * @example
 * ```ts
 * import { readCursor, writeCursor } from "./ship_cursor.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const cursor = { v: 1 as const, path: "/l/a.jsonl", destination: "d", offset: 10, lines: 1 };
 * await writeCursor(`${dir}/c.json`, cursor);
 * assert.deepEqual(await readCursor(`${dir}/c.json`, "/l/a.jsonl", "d"), cursor);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeCursor(
  file: string,
  cursor: ShipCursor,
): Promise<void> {
  const temp = `${file}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(temp, JSON.stringify(cursor) + "\n");
  await Deno.rename(temp, file);
}
