/**
 * Runs the finding rules over a log's events, session by session, and
 * returns the findings most severe first. The same function serves the
 * report, `check` and `summary`.
 *
 * @module
 */
import { compareFindings, type Finding, type FindingRule } from "./finding.ts";
import { sessionCalls } from "./session_calls.ts";
import { BUILTIN_RULES } from "./builtin_rules.ts";

/** Options of {@linkcode findFindings}. */
export interface FindFindingsOptions {
  /**
   * The rules to run.
   *
   * @default {BUILTIN_RULES}
   */
  rules?: readonly FindingRule[];
}

/**
 * The findings in `events` (any parsed log lines; what is not an event is
 * passed over), sorted by severity, then session and seq.
 *
 * @example
 * ```ts
 * import { findFindings } from "./find_findings.ts";
 * import assert from "node:assert/strict";
 *
 * const findings = findFindings([
 *   { seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "get",
 *     params: { name: "get", arguments: { employee_id: "E999" } },
 *     entities: [{ type: "employee", value: "E999", path: "arguments.employee_id" }] },
 *   { seq: 2, session: "s", kind: "error", dir: "s2c", requestSeq: 1, error: { code: -1 } },
 * ]);
 * assert.deepEqual(findings.map((f) => f.rule), ["unseen-identifier"]);
 * ```
 */
export function findFindings(
  events: readonly unknown[],
  options: FindFindingsOptions = {},
): Finding[] {
  const rules = options.rules ?? BUILTIN_RULES;
  const findings: Finding[] = [];
  for (const session of sessionCalls(events)) {
    for (const rule of rules) findings.push(...rule.find(session));
  }
  for (const f of findings) f.seqs = [...new Set(f.seqs)].sort((a, b) => a - b);
  return findings.sort(compareFindings);
}
