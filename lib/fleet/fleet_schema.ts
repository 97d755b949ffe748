/**
 * The central store's schema in ClickHouse: the DDL that `mcp-audit ship
 * --init` runs, one statement per table. Only what every ClickHouse release
 * since 18.16 (the one Debian ships) has: MergeTree tables with `ORDER BY`,
 * `ReplacingMergeTree`, `String`, `UInt64`, `Float64`, `Array(String)` and
 * `DateTime('UTC')` (no `DateTime64`, `LowCardinality`, `Nullable` or query
 * parameters). Delivery is at least once; every table is a
 * `ReplacingMergeTree` keyed on what makes a row unique, and every query
 * reads it with `FINAL`, so a row delivered twice is counted once whether or
 * not the background merge has run yet.
 *
 * @module
 */

/** The tables, by role: the names `ship --init` creates. */
export const TABLES = {
  /** One row per log line (events and checkpoint lines alike). */
  events: "mcp_audit_events",
  /** One row per checkpoint: tree size, root, chain head, signature. */
  checkpoints: "mcp_audit_checkpoints",
  /** One row per shipped file: its local verification result. */
  files: "mcp_audit_files",
} as const;

/**
 * A database name as ClickHouse takes it unquoted, or a `TypeError` naming
 * the fix.
 *
 * @example
 * ```ts
 * import { databaseName } from "./fleet_schema.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(databaseName("audit"), "audit");
 * assert.throws(() => databaseName("a;b"), /letters, digits and "_"/);
 * ```
 */
export function databaseName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) {
    throw new TypeError(
      `Database name "${name}" cannot be used: use letters, digits and "_" only, starting with a letter or "_".`,
    );
  }
  return name;
}

/**
 * The statements that create the database and the three tables, if they
 * are not there (so `ship --init` may run again).
 *
 * @example
 * ```ts
 * import { schemaStatements } from "./fleet_schema.ts";
 * import assert from "node:assert/strict";
 *
 * const ddl = schemaStatements("audit");
 * assert.equal(ddl.length, 4);
 * assert.match(ddl[1], /ReplacingMergeTree\(\) ORDER BY \(session, seq\)/);
 * ```
 */
export function schemaStatements(database: string): string[] {
  const db = databaseName(database);
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.events} (
  session String,
  seq UInt64,
  ts DateTime('UTC'),
  kind String,
  direction String,
  method String,
  tool String,
  classes Array(String),
  entities Array(String),
  error String,
  duration_ms Float64,
  host String,
  user String,
  line String,
  file String,
  line_no UInt64
) ENGINE = ReplacingMergeTree() ORDER BY (session, seq)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.checkpoints} (
  session String,
  seq UInt64,
  ts DateTime('UTC'),
  tree_size UInt64,
  root String,
  head String,
  key_id String,
  signature String,
  host String,
  user String,
  line String
) ENGINE = ReplacingMergeTree() ORDER BY (session, seq)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.files} (
  host String,
  path String,
  checked UInt64,
  checked_at DateTime('UTC'),
  user String,
  sessions Array(String),
  status String,
  findings String,
  lines UInt64
) ENGINE = ReplacingMergeTree(checked) ORDER BY (host, path)`,
  ];
}
