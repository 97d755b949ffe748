/**
 * Real sealed logs for the report tests: a session recorded through
 * `mcp-audit proxy` (with checkpoints, and signed when a key is given), and
 * the CLI run as a user runs it.
 *
 * @module
 */

import assert from "node:assert/strict";

export { cli, recordSession, type Run } from "../_recorded_session.ts";

/** The JSON the report embeds for its timeline. */
export function embeddedRows(
  html: string,
): { q: number; k: string; rq?: number; tv?: string[] }[] {
  const m = html.match(
    /<script type="application\/json" id="report-data">([^<]*)<\/script>/,
  );
  assert.ok(m, "the timeline data is embedded");
  return JSON.parse(m[1]).rows;
}
