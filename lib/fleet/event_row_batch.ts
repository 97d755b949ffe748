/**
 * One insert's worth of rows, as `ship` builds them: the events table's
 * rows as TabSeparated bytes (the body ClickHouse is sent as it is), and
 * the checkpoint lines' rows of the checkpoints table. Nearly every line
 * is written straight from its bytes (`_event_row_fast.ts`); the rest are
 * parsed and built by {@linkcode eventRow}, to the same bytes.
 *
 * @module
 */
import { rowBound, writeEventRowFast } from "./_event_row_fast.ts";
import {
  type CheckpointRow,
  checkpointRow,
  eventRow,
  eventRowTsv,
  type Origin,
  tsvString,
} from "./event_row.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** What {@linkcode EventRowBatch.take} hands over. */
export interface RowBatch {
  /** The events table's rows, TabSeparated, in `EVENT_COLUMNS` order. */
  body: Uint8Array;
  /** The events rows in `body`. */
  rows: number;
  /** The checkpoints table's rows. */
  checkpoints: CheckpointRow[];
}

/**
 * Rows of log lines, gathered for one insert.
 *
 * @example
 * ```ts
 * import { EventRowBatch } from "./event_row_batch.ts";
 * import assert from "node:assert/strict";
 *
 * const batch = new EventRowBatch({ host: "h", user: "u", file: "a.jsonl" });
 * const line = new TextEncoder().encode(
 *   '{"v":1,"seq":1,"ts":"2026-12-02T19:17:34.689Z","session":"s","kind":"request","tool":"echo"}',
 * );
 * assert.equal(batch.add(line, 0, line.length, 2), true);
 * assert.equal(batch.add(new TextEncoder().encode("not json"), 0, 8, 3), false);
 * const { body, rows } = batch.take();
 * assert.equal(rows, 1);
 * assert.equal(
 *   new TextDecoder().decode(body).split("\t").slice(0, 7).join(" "),
 *   "s 1 2026-12-02 19:17:34 request   echo",
 * );
 * ```
 */
export class EventRowBatch {
  #origin: Origin;
  #hostUser: Uint8Array;
  #file: Uint8Array;
  #out: Uint8Array;
  #length = 0;
  #rows = 0;
  #checkpoints: CheckpointRow[] = [];
  /** Buffers of bodies sent, to write later batches into. */
  #spares: Uint8Array[] = [];

  /** A batch of rows shipped from `origin`; `capacity` is the first buffer's size. */
  constructor(origin: Origin, capacity = 1 << 20) {
    this.#origin = origin;
    this.#hostUser = encoder.encode(
      `${tsvString(origin.host)}\t${tsvString(origin.user)}`,
    );
    this.#file = encoder.encode(tsvString(origin.file));
    this.#out = new Uint8Array(capacity);
  }

  /** Bytes of rows gathered. */
  get bytes(): number {
    return this.#length;
  }

  /** Events rows gathered. */
  get rows(): number {
    return this.#rows;
  }

  #reserve(more: number): void {
    const need = this.#length + more;
    if (need <= this.#out.length) return;
    const grown = new Uint8Array(Math.max(need, 2 * this.#out.length));
    grown.set(this.#out.subarray(0, this.#length));
    this.#out = grown;
  }

  /**
   * Adds the rows of line `lineNo`, `buf[start, end)` without its newline.
   * Returns false, adding nothing, for a line that is not an audit event
   * (not UTF-8 JSON, or without a string `session` and a number `seq`): it
   * has no (session, seq) to be stored under.
   */
  add(buf: Uint8Array, start: number, end: number, lineNo: number): boolean {
    const fixed = this.#hostUser.length + this.#file.length + 32;
    this.#reserve(rowBound(end - start) + fixed);
    const written = writeEventRowFast(
      buf,
      start,
      end,
      this.#out,
      this.#length,
      this.#hostUser,
      this.#file,
      lineNo,
    );
    if (written >= 0) {
      this.#length = written;
      this.#rows++;
      return true;
    }
    let text: string;
    let record: Record<string, unknown>;
    try {
      text = decoder.decode(buf.subarray(start, end));
      record = JSON.parse(text);
      if (
        typeof record !== "object" || record === null ||
        typeof record.session !== "string" || typeof record.seq !== "number"
      ) return false;
    } catch {
      return false;
    }
    const row = eventRowTsv(eventRow(text, record, this.#origin, lineNo));
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.#reserve(3 * row.length);
    const { written: n } = encoder.encodeInto(
      row,
      this.#out.subarray(this.#length),
    );
    this.#length += n;
    this.#rows++;
    const checkpoint = checkpointRow(text, record, this.#origin);
    if (checkpoint) this.#checkpoints.push(checkpoint);
    return true;
  }

  /**
   * Hands over the rows gathered and starts an empty batch, in a buffer
   * given back by {@linkcode EventRowBatch.giveBack} when there is one (so
   * a long pass does not zero and fault in a new buffer for every batch).
   */
  take(): RowBatch {
    const batch = {
      body: this.#out.subarray(0, this.#length),
      rows: this.#rows,
      checkpoints: this.#checkpoints,
    };
    // The body may still be sent while the next batch is gathered.
    const spare = this.#spares.pop();
    this.#out = spare && spare.length >= this.#out.length
      ? spare
      : new Uint8Array(this.#out.length);
    this.#length = 0;
    this.#rows = 0;
    this.#checkpoints = [];
    return batch;
  }

  /**
   * Gives back the body of a batch from {@linkcode EventRowBatch.take} once
   * it is sent and acknowledged: nothing may read it after this, as a
   * later batch is written over it.
   */
  giveBack(body: Uint8Array): void {
    if (this.#spares.length < 2) {
      this.#spares.push(new Uint8Array(body.buffer, body.byteOffset));
    }
  }
}
