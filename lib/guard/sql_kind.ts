/**
 * The kinds of the statements in a piece of SQL (`DROP`, `DELETE`,
 * `SELECT`, ...), read by a real SQL parser (node-sql-parser), so that a
 * comment, odd case or whitespace, or a statement quoted inside a string
 * literal reads as what it is. A regular expression could not tell them
 * apart.
 *
 * @module
 */
import sqlParser from "node-sql-parser";

/** Dialects tried in turn; the first that parses the text decides. */
const DIALECTS = ["mysql", "postgresql", "sqlite", "transactsql", "bigquery"];

/** What stands for SQL that no dialect parses. */
export const UNKNOWN_SQL = "UNKNOWN";

interface AstNode {
  type?: string;
}

let parser:
  | { astify(sql: string, opt: { database: string }): unknown }
  | undefined;

/**
 * The statement kinds in `sql`, upper case, in order (`["DROP", "SELECT"]`);
 * `["UNKNOWN"]` when no dialect parses it, so a rule can refuse what it
 * cannot read.
 *
 * @example
 * ```ts
 * import { sqlStatementKinds } from "./sql_kind.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(sqlStatementKinds("/* tidy *\/ dRoP\n TABLE users; select 1"), ["DROP", "SELECT"]);
 * assert.deepEqual(sqlStatementKinds("SELECT 'DROP TABLE users' AS s -- DELETE"), ["SELECT"]);
 * assert.deepEqual(sqlStatementKinds("DROPP TABLE x"), ["UNKNOWN"]);
 * ```
 */
/** The kinds of the last texts parsed: several rules of a policy read the same argument. */
const recent = new Map<string, readonly string[]>();
const RECENT_MAX = 64;

export function sqlStatementKinds(sql: string): string[] {
  const known = recent.get(sql);
  if (known) return [...known];
  const kinds = parseKinds(sql);
  if (recent.size >= RECENT_MAX) {
    recent.delete(recent.keys().next().value as string);
  }
  recent.set(sql, kinds);
  return [...kinds];
}

function parseKinds(sql: string): string[] {
  parser ??= new (sqlParser as unknown as {
    Parser: new () => NonNullable<typeof parser>;
  }).Parser();
  for (const database of DIALECTS) {
    let ast: unknown;
    try {
      ast = parser.astify(sql, { database });
    } catch {
      continue;
    }
    const nodes = (Array.isArray(ast) ? ast : [ast]) as AstNode[];
    const kinds = nodes.map((n) =>
      String(n?.type ?? UNKNOWN_SQL).toUpperCase()
    );
    return kinds.length > 0 ? kinds : [UNKNOWN_SQL];
  }
  return [UNKNOWN_SQL];
}

/** The statement kinds that change or destroy data or schema: what makes a call `DESTRUCTIVE`. */
export const DESTRUCTIVE_SQL: readonly string[] = [
  "DROP",
  "DELETE",
  "TRUNCATE",
  "ALTER",
];
