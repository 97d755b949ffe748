/**
 * The rule `write-after-denial`: a call classed WRITE or DESTRUCTIVE (or
 * annotated destructive) made after the guard denied a request of the same
 * session: the agent acted on after being told no, perhaps by another road.
 *
 * @module
 */
import type { Finding, FindingRule } from "./finding.ts";
import type { SessionCalls } from "./session_calls.ts";

/**
 * Finds writes after a guard denial.
 *
 * @example
 * ```ts
 * import { writeAfterDenial } from "./write_after_denial.ts";
 * import { sessionCalls } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const [s] = sessionCalls([
 *   { seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "drop",
 *     params: { name: "drop", arguments: {} } },
 *   { seq: 2, session: "s", kind: "decision", mode: "enforce", action: "deny", reason: "no",
 *     requestSeq: 1, method: "tools/call", tool: "drop", outcome: "blocked" },
 *   { seq: 3, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "update",
 *     params: { name: "update", arguments: {} }, classes: [{ label: "WRITE" }] },
 * ]);
 * const [f] = writeAfterDenial.find(s);
 * assert.deepEqual([f.severity, f.seqs], ["high", [1, 2, 3]]);
 * ```
 */
export const writeAfterDenial: FindingRule = {
  id: "write-after-denial",
  description:
    "a WRITE or DESTRUCTIVE call after the guard denied a request of the session",
  find: function findWriteAfterDenial(session: SessionCalls): Finding[] {
    const denial = session.denials?.[0];
    if (!denial) return [];
    const after = Math.max(denial.seq, denial.requestSeq ?? denial.seq);
    const findings: Finding[] = [];
    for (const call of session.calls) {
      if (call.requestSeq <= after) continue;
      const destructive = call.classes.has("DESTRUCTIVE") ||
        session.hints.get(call.tool)?.destructiveHint === true;
      if (!destructive && !call.classes.has("WRITE")) continue;
      const denied = denial.tool ?? "a request";
      const rule = denial.rule ? ` (rule "${denial.rule}")` : "";
      findings.push({
        rule: writeAfterDenial.id,
        session: session.session,
        severity: "high",
        title: `${call.tool} wrote after the guard denied ${denied}`,
        explanation: `The guard denied ${denied}${rule} at seq ${denial.seq}; ${
          destructive ? "the destructive" : "the write"
        } call ${call.tool} (seq ${call.requestSeq}) came after it in the same session. An agent that was refused and then changes something may be working around the policy.`,
        seqs: [
          ...(denial.requestSeq === undefined ? [] : [denial.requestSeq]),
          denial.seq,
          call.requestSeq,
          ...(call.replySeq === undefined ? [] : [call.replySeq]),
        ],
        entities: call.argumentEntities,
      });
    }
    return findings;
  },
};
