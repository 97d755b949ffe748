/**
 * Finding rules a plugin adds (its `findings`): a rule id, a line saying
 * what it looks for, and a function from one session's calls to the
 * findings in it, the same shape as the built-in rules.
 *
 * @module
 */
import type { FindingRule } from "../../findings/finding.ts";

/**
 * Declares a finding rule with its types checked. It returns its argument:
 * the point is the editor's help. Put the rule in a plugin's `findings`.
 *
 * @example A rule that flags every failed call to a `delete_` tool
 * ```ts
 * import { defineFindingRule, type SessionCalls } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const failedDelete = defineFindingRule({
 *   id: "failed-delete",
 *   description: "a delete_ tool that failed",
 *   find: (session) =>
 *     session.calls.filter((c) => c.tool.startsWith("delete_") && c.failed).map((c) => ({
 *       rule: "failed-delete",
 *       severity: "medium",
 *       title: `${c.tool} failed`,
 *       explanation: "A deletion was attempted and refused.",
 *       session: session.session,
 *       seqs: [c.requestSeq, ...(c.replySeq === undefined ? [] : [c.replySeq])],
 *       entities: c.argumentEntities,
 *     })),
 * });
 * const session: SessionCalls = {
 *   session: "s", messages: [], hints: new Map(),
 *   calls: [{
 *     tool: "delete_file", requestSeq: 3, replySeq: 4, arguments: {}, failed: true, empty: false,
 *     classes: new Set(), argumentEntities: [], resultEntities: [],
 *   }],
 * };
 * assert.deepEqual(failedDelete.find(session).map((f) => [f.rule, f.seqs]), [["failed-delete", [3, 4]]]);
 * ```
 */
export function defineFindingRule(rule: FindingRule): FindingRule {
  return rule;
}
