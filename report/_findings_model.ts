/**
 * The findings of the report: what the built-in rules of `lib/findings/`
 * found in the events, with each finding's session index so that the page
 * can filter the timeline to the rows it rests on.
 *
 * @module
 */
import { findFindings } from "../lib/findings/find_findings.ts";
import type { Finding, FindingRule } from "../lib/findings/finding.ts";
import type { McpLinks } from "../lib/audit/mcp_link.ts";

/** Most findings the page lists; `summary` and `check` list them all. */
export const LISTED_FINDINGS = 200;

/** A finding as the report shows it. */
export interface ReportFinding extends Finding {
  /** Index of its session in the report, for the timeline filter. */
  sessionIndex: number;
  /** The `mcp-audit prove` command for its events, when the log files are known. */
  prove?: string;
  /**
   * What that command writes, to download from the page: its file name and
   * a `data:` URL of its bytes (when the log is sealed and the proofs were
   * small enough to embed).
   */
  download?: { file: string; href: string };
}

/**
 * Finds the findings of `events`, most severe first, each with its
 * session's index; `rules` default to the built-in rules, and `links`
 * (the report's, when it has linked the events) to their own linking.
 *
 * @example
 * ```ts
 * import { buildFindings } from "./_findings_model.ts";
 * import assert from "node:assert/strict";
 *
 * const [f] = buildFindings([
 *   { seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "get",
 *     params: { name: "get", arguments: { id: "E9" } },
 *     entities: [{ type: "employee", value: "E9", path: "arguments.id" }] },
 *   { seq: 2, session: "s", kind: "error", dir: "s2c", requestSeq: 1, error: {} },
 * ], new Map([["s", 0]]));
 * assert.deepEqual([f.rule, f.sessionIndex], ["unseen-identifier", 0]);
 * ```
 */
export function buildFindings(
  events: readonly unknown[],
  sessionIndex: ReadonlyMap<string, number>,
  rules?: readonly FindingRule[],
  links?: McpLinks,
): ReportFinding[] {
  return findFindings(events, { rules, links }).map((f) => ({
    ...f,
    sessionIndex: sessionIndex.get(f.session) ?? 0,
  }));
}
