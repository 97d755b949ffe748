/**
 * `ship`: sends logs to the central store. Each log (a file and its rotated
 * parts) is verified first, then every complete line from its cursor on is
 * sent in batches, as a row of the events table (and, for a checkpoint, of
 * the checkpoints table too); the cursor moves after each batch the store
 * acknowledged. The file's verification result goes to the files table, so
 * a log that fails verification is shipped and says so. Local logs are only
 * read. With `follow`, it keeps going: new lines, new parts after rotation
 * and new sessions are shipped as they appear.
 *
 * @module
 */
import { resolve } from "node:path";
import { setImmediate } from "node:timers";
import { logParts, orderLogFiles } from "../log/log_path.ts";
import { LogVerifier } from "../evidence/verify.ts";
import type { VerifyKey } from "../seal/signing_key.ts";
import type { VerifyReport, VerifyStatus } from "../evidence/verify.ts";
import type { ClickHouseStore } from "./clickhouse_store.ts";
import { TABLES } from "./fleet_schema.ts";
import { dateTimeText, EVENT_COLUMNS } from "./event_row.ts";
import { EventRowBatch } from "./event_row_batch.ts";
import { cursorPath, readCursor, writeCursor } from "./ship_cursor.ts";

/** Options for {@linkcode shipLogs}. */
export interface ShipOptions {
  /** Where the rows go. */
  store: ClickHouseStore;
  /** The logs to ship; without them, every log in `dir`. */
  files?: string[];
  /** The log directory, when no files are given. */
  dir?: string;
  /** Where the cursors are kept. */
  cursorDir: string;
  /** The machine, recorded with every row. */
  host: string;
  /** The user who ran the proxy, recorded with every row. */
  user: string;
  /**
   * Lines per insert (fewer when they pass 16 MB; the first inserts of a
   * pass start at 1000 lines and double up to it). @default {20000}
   */
  batchLines?: number;
  /** Keep shipping as logs grow, until `signal` aborts. @default {false} */
  follow?: boolean;
  /** How often `follow` looks for new lines. @default {1000} */
  intervalMs?: number;
  /** Ends `follow`. */
  signal?: AbortSignal;
  /** Checks checkpoint signatures in the local verification. */
  publicKey?: VerifyKey;
  /** Told of each file shipped (or failing verification). */
  onFile?: (result: ShippedFile) => void;
}

const defaults = {
  batchLines: 20000,
  follow: false,
  intervalMs: 1000,
} satisfies Partial<ShipOptions>;

/** What happened to one log file in one pass. */
export interface ShippedFile {
  /** The file, absolute. */
  path: string;
  /** Lines sent in this pass. */
  lines: number;
  /** Bytes sent in this pass. */
  bytes: number;
  /** Lines acknowledged in all, the cursor's count. */
  acknowledged: number;
  /** Lines skipped: not an audit event (reported by verification too). */
  skipped: number;
  /** The local verification of the log it belongs to. */
  status: VerifyStatus;
  /** The verification's problems in this file, one sentence each. */
  problems: string[];
}

/** What {@linkcode shipLogs} returns. */
export interface ShipResult {
  /** Every file shipped, per pass. */
  files: ShippedFile[];
  /** Lines sent in all. */
  lines: number;
}

/**
 * A log cannot be shipped as it is (shorter than what was shipped: it was
 * truncated or replaced).
 *
 * @example
 * ```ts
 * import { ShipError } from "./ship.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new ShipError("x").name, "ShipError");
 * ```
 */
export class ShipError extends Error {
  /** The error with its message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ShipError";
  }
}

/** The logs to ship, each as its parts in order. */
async function discover(options: ShipOptions): Promise<string[][]> {
  const seeds: string[] = [];
  if (options.files && options.files.length > 0) {
    seeds.push(...options.files.map((f) => resolve(f)));
  } else if (options.dir) {
    const dir = resolve(options.dir);
    try {
      for await (const entry of Deno.readDir(dir)) {
        if (entry.isFile && entry.name.endsWith(".jsonl")) {
          seeds.push(`${dir}/${entry.name}`);
        }
      }
    } catch (error) {
      throw new ShipError(
        `Cannot read the log directory "${dir}": ${
          error instanceof Error ? error.message : String(error)
        }. Give the logs to ship as arguments, or set MCP_AUDIT_LOG_DIR.`,
        { cause: error },
      );
    }
    seeds.sort();
  }
  const seen = new Set<string>();
  const logs: string[][] = [];
  for (const seed of seeds) {
    if (seen.has(seed)) continue;
    // A rotated log's later parts appear beside its first: follow them.
    const parts = orderLogFiles(await logParts(seed));
    for (const p of parts) seen.add(p);
    logs.push(parts);
  }
  return logs;
}

/** An insert is sent once its rows pass this many bytes (about 16 MB). */
const BATCH_BYTES = 16 * 1024 * 1024;
/**
 * The first read buffer; it grows for a longer line. Small, so the event
 * loop turns often (after each read, about every 160 lines of the bench's
 * log): an insert in flight moves on (its body is written as the socket
 * drains, its answer read) only then, and with 4 MB reads ClickHouse sat
 * waiting for the next turn (ship bench 0.33x of the loader before, see
 * the README).
 */
const READ_BYTES = 64 * 1024;

/** A turn of the event loop: I/O in flight (the inserts) moves on. */
function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Ships what is new in one file and verifies all of it, in one pass: each
 * line is handed to `verifier` (the same checks as `verifyLogs`), and a
 * line past the cursor also becomes rows. Returns what was sent; its status
 * and problems are filled in once the whole log is verified.
 */
async function shipFile(
  path: string,
  options: ShipOptions,
  verifier: LogVerifier,
): Promise<ShippedFile> {
  const { store } = options;
  const batchLines = options.batchLines ?? defaults.batchLines;
  const destination = store.label;
  const cursorFile = cursorPath(options.cursorDir, path, destination);
  const cursor = await readCursor(cursorFile, path, destination);
  const size = (await Deno.stat(path)).size;
  if (size < cursor.offset) {
    throw new ShipError(
      `"${path}" is ${size} bytes, shorter than the ${cursor.offset} bytes already shipped: the local log was truncated or replaced after shipping. "mcp-audit verify --from ${destination}" checks the central copy; delete "${cursorFile}" to ship the file as it is now.`,
    );
  }
  const origin = { host: options.host, user: options.user, file: path };
  const result: ShippedFile = {
    path,
    lines: 0,
    bytes: 0,
    acknowledged: cursor.lines,
    skipped: 0,
    status: "verified",
    problems: [],
  };
  const shippedFrom = cursor.offset;
  const rows = new EventRowBatch(origin);
  let batchEnd = cursor.offset;
  let batchLinesSeen = 0;
  let lineNo = 0;
  let limit = Math.max(1, Math.min(batchLines, 1000));
  // One batch is inserted while the next is read: the server parses on
  // its own core. The cursor moves in order, after each acknowledgement.
  let inflight: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    if (batchLinesSeen === 0) return;
    const previous = inflight;
    const batch = { ...rows.take(), end: batchEnd, lines: lineNo };
    const count = batchLinesSeen;
    batchLinesSeen = 0;
    inflight = (async (): Promise<void> => {
      await previous;
      // The two tables' inserts go together: each waits on the server
      // and on turns of this thread's event loop, not on the other.
      await Promise.all([
        store.insert(TABLES.checkpoints, batch.checkpoints),
        store.insertRaw(
          TABLES.events,
          EVENT_COLUMNS,
          "TabSeparated",
          batch.body,
          batch.rows,
        ),
      ]);
      result.lines += count;
      result.bytes = batch.end - shippedFrom;
      cursor.offset = batch.end;
      cursor.lines = batch.lines;
      await writeCursor(cursorFile, cursor);
      result.acknowledged = cursor.lines;
      rows.giveBack(batch.body);
    })();
    // Handled where it is awaited; a failure is not lost meanwhile.
    inflight.catch(() => {});
    await previous;
  };
  const file = await Deno.open(path, { read: true });
  try {
    verifier.beginFile(path);
    let buf = new Uint8Array(READ_BYTES);
    let filled = 0;
    let base = 0; // File offset of buf[0].
    for (;;) {
      if (filled === buf.length) {
        const grown = new Uint8Array(2 * buf.length);
        grown.set(buf);
        buf = grown;
      }
      // Read here, without a round trip to a blocking thread for each
      // read, then a turn of the event loop, so the insert in flight moves on.
      const n = file.readSync(buf.subarray(filled));
      if (n === null) break;
      await nextTurn();
      filled += n;
      const view = buf.subarray(0, filled);
      let start = 0;
      for (;;) {
        const nl = view.indexOf(0x0a, start);
        if (nl < 0) break;
        lineNo++;
        const lineEnd = base + nl + 1;
        // Rows first: the verifier may hold the buffer until its promise.
        if (lineEnd > cursor.offset) {
          batchLinesSeen++;
          batchEnd = lineEnd;
          // Not an audit event: it has no (session, seq) to be stored
          // under. The files table records the verification that names it.
          if (!rows.add(view, start, nl, lineNo)) result.skipped++;
        }
        const checked = verifier.lineRange(path, view, start, nl, lineNo, true);
        if (checked) await checked;
        start = nl + 1;
        if (batchLinesSeen >= limit || rows.bytes >= BATCH_BYTES) {
          await flush();
          // The first batches are small, so the server starts at once.
          limit = Math.min(2 * limit, batchLines);
        }
      }
      buf.copyWithin(0, start, filled);
      base += start;
      filled -= start;
    }
    // An incomplete last line stays for the next pass (a live session).
    if (filled > 0) {
      const checked = verifier.lineRange(
        path,
        buf,
        0,
        filled,
        lineNo + 1,
        false,
      );
      if (checked) await checked;
    }
    await verifier.endFile(base + filled);
    await flush();
    await inflight;
  } finally {
    file.close();
  }
  return result;
}

/** Records the local verification of one file in the files table. */
async function recordVerification(
  options: ShipOptions,
  shipped: ShippedFile,
  report: VerifyReport,
): Promise<void> {
  const now = Date.now();
  await options.store.insert(TABLES.files, [{
    host: options.host,
    path: shipped.path,
    checked: now,
    checked_at: dateTimeText(new Date(now).toISOString()),
    user: options.user,
    sessions: report.sessions.filter((s) =>
      s.first.path === shipped.path || s.last.path === shipped.path
    ).map((s) => s.session),
    status: report.status,
    findings: JSON.stringify(shipped.problems.slice(0, 100)),
    lines: shipped.acknowledged,
  }]);
}

/**
 * Ships logs to the central store: once, or with `follow` until the signal
 * aborts. Throws `StoreError` when the store cannot be reached after the
 * retries, `ShipError` for a log that cannot be shipped.
 *
 * @example
 * ```ts ignore
 * import { ClickHouseStore } from "./clickhouse_store.ts";
 * import { shipLogs } from "./ship.ts";
 *
 * const store = new ClickHouseStore({ url: "http://127.0.0.1:8123" });
 * const result = await shipLogs({
 *   store, files: ["session.jsonl"], cursorDir: "/tmp/cursors", host: "ci-1", user: "ci",
 * });
 * console.log(result.lines);
 * await store.close();
 * ```
 */
export async function shipLogs(options: ShipOptions): Promise<ShipResult> {
  const result: ShipResult = { files: [], lines: 0 };
  await Deno.mkdir(options.cursorDir, { recursive: true });
  /** Size of each file at its last verification. */
  const verifiedAt = new Map<string, number>();
  const interval = options.intervalMs ?? defaults.intervalMs;
  for (;;) {
    for (const parts of await discover(options)) {
      let changed = false;
      for (const part of parts) {
        const size = (await Deno.stat(part)).size;
        if (verifiedAt.get(part) !== size) changed = true;
        verifiedAt.set(part, size);
      }
      if (!changed) continue;
      const verifier = new LogVerifier({ publicKey: options.publicKey });
      const shippedParts: ShippedFile[] = [];
      for (const part of parts) {
        shippedParts.push(await shipFile(part, options, verifier));
      }
      const report = verifier.finish();
      for (const shipped of shippedParts) {
        shipped.status = report.status;
        shipped.problems = report.findings.filter((f) =>
          f.path === shipped.path && f.severity !== "note"
        ).map((f) => `line ${f.line}: ${f.kind}: ${f.message}`);
        await recordVerification(options, shipped, report);
        result.files.push(shipped);
        result.lines += shipped.lines;
        options.onFile?.(shipped);
      }
    }
    if (!options.follow || options.signal?.aborted) return result;
    await new Promise<void>((done) => {
      const timer = setTimeout(done, interval);
      options.signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        done();
      }, { once: true });
    });
    if (options.signal?.aborted) return result;
  }
}
