/**
 * One log line as rows of the central store: the columns of the events
 * table, taken from the line as stored (already redacted, sealed), and for
 * a checkpoint line also its row in the checkpoints table. Central verify
 * rebuilds the same columns from the stored line, so a column edited apart
 * from its line is caught.
 *
 * @module
 */

/** Who shipped a line, and from where. */
export interface Origin {
  /** The machine the log was written on. */
  host: string;
  /** The user who ran the proxy. */
  user: string;
  /** The log file. */
  file: string;
}

/** A row of the events table (see `fleet_schema.ts`). */
export interface EventRow {
  session: string;
  seq: number;
  /** `YYYY-MM-DD hh:mm:ss`, UTC: what ClickHouse 18.16 parses into a `DateTime`. */
  ts: string;
  kind: string;
  direction: string;
  method: string;
  tool: string;
  classes: string[];
  /** `type:value` of each entity. */
  entities: string[];
  error: string;
  duration_ms: number;
  host: string;
  user: string;
  /** The whole line as stored, without its newline. */
  line: string;
  file: string;
  line_no: number;
}

/** A row of the checkpoints table. */
export interface CheckpointRow {
  session: string;
  seq: number;
  ts: string;
  tree_size: number;
  root: string;
  head: string;
  key_id: string;
  signature: string;
  host: string;
  user: string;
  line: string;
}

/** The columns of an event row that come from its line alone. */
export const DERIVED_COLUMNS = [
  "session",
  "seq",
  "ts",
  "kind",
  "direction",
  "method",
  "tool",
  "classes",
  "entities",
  "error",
  "duration_ms",
] as const;

/**
 * An ISO 8601 time as a ClickHouse `DateTime` text in UTC, to the second;
 * the epoch for anything else.
 *
 * @example
 * ```ts
 * import { dateTimeText } from "./event_row.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(dateTimeText("2026-12-02T19:17:34.653Z"), "2026-12-02 19:17:34");
 * assert.equal(dateTimeText(undefined), "1970-01-01 00:00:00");
 * ```
 */
export function dateTimeText(ts: unknown): string {
  // The writer's own form, 2026-12-02T19:17:34.653Z: cut, not parsed.
  if (
    typeof ts === "string" && ts.length >= 20 && ts.charCodeAt(10) === 84 &&
    ts.charCodeAt(ts.length - 1) === 90 && WRITER_TIME.test(ts)
  ) {
    return `${ts.slice(0, 10)} ${ts.slice(11, 19)}`;
  }
  const ms = typeof ts === "string" ? Date.parse(ts) : NaN;
  const date = new Date(Number.isFinite(ms) && ms >= 0 ? ms : 0);
  return date.toISOString().slice(0, 19).replace("T", " ");
}

const WRITER_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function errorText(record: Record<string, unknown>): string {
  if (record.kind === "error") {
    const error = record.error as { code?: unknown; message?: unknown };
    if (error && typeof error === "object") {
      return `${String(error.code ?? "")} ${text(error.message)}`.trim();
    }
    return "error";
  }
  if (typeof record.errorType === "string") return record.errorType;
  return record.isError === true ? "tool_error" : "";
}

/**
 * The events-table row of one parsed log line.
 *
 * @example
 * ```ts
 * import { eventRow } from "./event_row.ts";
 * import assert from "node:assert/strict";
 *
 * const line = '{"v":1,"seq":5,"ts":"2026-12-02T19:17:34.689Z","session":"s","kind":"request","dir":"c2s","method":"tools/call","tool":"echo","classes":[{"label":"read","source":"p"}]}';
 * const row = eventRow(line, JSON.parse(line), { host: "h", user: "u", file: "a.jsonl" }, 6);
 * assert.deepEqual([row.seq, row.tool, row.direction, row.classes], [5, "echo", "c2s", ["read"]]);
 * ```
 */
export function eventRow(
  line: string,
  record: Record<string, unknown>,
  origin: Origin,
  lineNo: number,
): EventRow {
  const classes = Array.isArray(record.classes) ? record.classes : [];
  const entities = Array.isArray(record.entities) ? record.entities : [];
  return {
    session: text(record.session),
    seq: typeof record.seq === "number" ? record.seq : 0,
    ts: dateTimeText(record.ts),
    kind: text(record.kind),
    direction: text(record.dir),
    method: text(record.method),
    tool: text(record.tool),
    classes: classes.map((c) => text((c as { label?: unknown })?.label)),
    entities: entities.map((e) => {
      const entity = e as { type?: unknown; value?: unknown };
      return `${text(entity?.type)}:${text(entity?.value)}`;
    }),
    error: errorText(record),
    duration_ms: typeof record.durationMs === "number" ? record.durationMs : 0,
    host: origin.host,
    user: origin.user,
    line,
    file: origin.file,
    line_no: lineNo,
  };
}

/**
 * The checkpoints-table row of a checkpoint line, or undefined for any
 * other line.
 *
 * @example
 * ```ts
 * import { checkpointRow } from "./event_row.ts";
 * import assert from "node:assert/strict";
 *
 * const line = '{"v":1,"seq":3,"ts":"t","session":"s","kind":"checkpoint","treeSize":3,"root":"ab","head":"cd"}';
 * const row = checkpointRow(line, JSON.parse(line), { host: "h", user: "u", file: "a.jsonl" });
 * assert.equal(row?.tree_size, 3);
 * ```
 */
export function checkpointRow(
  line: string,
  record: Record<string, unknown>,
  origin: Origin,
): CheckpointRow | undefined {
  if (record.kind !== "checkpoint") return undefined;
  return {
    session: text(record.session),
    seq: typeof record.seq === "number" ? record.seq : 0,
    ts: dateTimeText(record.ts),
    tree_size: typeof record.treeSize === "number" ? record.treeSize : 0,
    root: text(record.root),
    head: text(record.head),
    key_id: text(record.keyId),
    signature: text(record.signature),
    host: origin.host,
    user: origin.user,
    line,
  };
}

/** The events table's columns, in the order {@linkcode eventRowTsv} writes them. */
export const EVENT_COLUMNS = [
  ...DERIVED_COLUMNS,
  "host",
  "user",
  "line",
  "file",
  "line_no",
] as const;

/**
 * A string as a TabSeparated field: backslash, tab and newline escaped.
 *
 * @example
 * ```ts
 * import { tsvString } from "./event_row.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(tsvString("a\tb\\c"), "a\\tb\\\\c");
 * ```
 */
export function tsvString(value: string): string {
  let out = value;
  if (out.includes("\\")) out = out.replaceAll("\\", "\\\\");
  if (out.includes("\t")) out = out.replaceAll("\t", "\\t");
  if (out.includes("\n")) out = out.replaceAll("\n", "\\n");
  return out;
}

/** An array of strings as a TabSeparated field: `['a','b']`. */
function tsvArray(values: string[]): string {
  if (values.length === 0) return "[]";
  return `[${
    values.map((v) =>
      `'${
        v.replaceAll("\\", "\\\\").replaceAll("'", "\\'").replaceAll(
          "\t",
          "\\t",
        ).replaceAll("\n", "\\n")
      }'`
    ).join(",")
  }]`;
}

/**
 * An event row as one line of ClickHouse's TabSeparated format, its
 * columns in the order of {@linkcode EVENT_COLUMNS}: what `ship` sends,
 * as it costs far less to write (and for the server to read) than JSON,
 * the stored line being mostly quotes that JSON would escape.
 *
 * @example
 * ```ts
 * import { eventRow, eventRowTsv } from "./event_row.ts";
 * import assert from "node:assert/strict";
 *
 * const line = '{"v":1,"seq":0,"ts":"2026-01-01T00:00:00Z","session":"s","kind":"x","text":"a\\\\b"}';
 * const tsv = eventRowTsv(eventRow(line, JSON.parse(line), { host: "h", user: "u", file: "f" }, 1));
 * assert.equal(tsv.split("\t").length, 16);
 * assert.ok(tsv.includes('"text":"a\\\\\\\\b"'));
 * ```
 */
export function eventRowTsv(row: EventRow): string {
  return `${tsvString(row.session)}\t${row.seq}\t${row.ts}\t${
    tsvString(row.kind)
  }\t${tsvString(row.direction)}\t${tsvString(row.method)}\t${
    tsvString(row.tool)
  }\t${tsvArray(row.classes)}\t${tsvArray(row.entities)}\t${
    tsvString(row.error)
  }\t${row.duration_ms}\t${tsvString(row.host)}\t${tsvString(row.user)}\t${
    tsvString(row.line)
  }\t${tsvString(row.file)}\t${row.line_no}\n`;
}
