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
  const ms = typeof ts === "string" ? Date.parse(ts) : NaN;
  const date = new Date(Number.isFinite(ms) && ms >= 0 ? ms : 0);
  return date.toISOString().slice(0, 19).replace("T", " ");
}

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
