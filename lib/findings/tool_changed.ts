/**
 * The rule `tool-changed`: a tool's definition differs from its pin (a
 * `tool_change` event of guard pinning); a call to a changed tool after it
 * is worse: the agent acted on a definition nobody approved.
 *
 * @module
 */
import type { Finding, FindingRule } from "./finding.ts";
import type { SessionCalls } from "./session_calls.ts";

/**
 * Finds changed tool definitions and the calls made to them.
 *
 * @example
 * ```ts
 * import { toolChanged } from "./tool_changed.ts";
 * import { sessionCalls } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const [s] = sessionCalls([
 *   { seq: 1, session: "s", kind: "tool_change", server: "db", added: [], removed: [],
 *     changed: [{ tool: "query", fields: ["description"], diff: "" }], enforced: false },
 *   { seq: 2, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "query",
 *     params: { name: "query", arguments: {} } },
 * ]);
 * const [f] = toolChanged.find(s);
 * assert.deepEqual([f.severity, f.seqs], ["high", [1, 2]]);
 * ```
 */
export const toolChanged: FindingRule = {
  id: "tool-changed",
  description:
    "a tool definition differs from its pin; high when the changed tool is called",
  find: function findToolChanged(session: SessionCalls): Finding[] {
    const findings: Finding[] = [];
    for (const change of session.toolChanges ?? []) {
      const tools = [...change.changed, ...change.added];
      if (tools.length === 0) continue;
      const calls = session.calls.filter((c) =>
        c.requestSeq > change.seq && tools.includes(c.tool)
      );
      const names = tools.map((t) => `"${t}"`).join(", ");
      const called = [...new Set(calls.map((c) => c.tool))];
      findings.push({
        rule: toolChanged.id,
        session: session.session,
        severity: calls.length > 0 ? "high" : "medium",
        title: calls.length > 0
          ? `${called.join(", ")} was called after its definition changed`
          : `tool definitions changed against the pins: ${names}`,
        explanation:
          `The tools/list answer at seq ${change.seq} differs from the pinned definitions of ${names}${
            change.enforced ? " (they were hidden: pinning enforce)" : ""
          }. ${
            calls.length > 0
              ? `The agent then called ${called.join(", ")} (seq ${
                calls.map((c) => c.requestSeq).join(", ")
              }) under a definition nobody accepted.`
              : "No call to them followed."
          } Review the diff in the report and run "mcp-audit pin accept" if the change is expected.`,
        seqs: [change.seq, ...calls.map((c) => c.requestSeq)],
        entities: [],
      });
    }
    return findings;
  },
};
