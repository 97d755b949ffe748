/**
 * The rule `unseen-identifier`: a call's argument holds an entity that no
 * earlier message of the session (no result, no client message) contained,
 * and the call failed or found nothing: a likely hallucinated id.
 *
 * @module
 */
import type { Finding, FindingRule } from "./finding.ts";
import { seenBefore, type SessionCalls } from "./session_calls.ts";

/**
 * Finds failed or empty calls on identifiers that came from nowhere.
 *
 * @example
 * ```ts
 * import { unseenIdentifier } from "./unseen_identifier.ts";
 * import { sessionCalls } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const [s] = sessionCalls([
 *   { seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "get",
 *     params: { name: "get", arguments: { employee_id: "E999" } },
 *     entities: [{ type: "employee", value: "E999", path: "arguments.employee_id" }] },
 *   { seq: 2, session: "s", kind: "response", dir: "s2c", requestSeq: 1, isError: true,
 *     result: { content: [{ type: "text", text: "No such employee" }], isError: true } },
 * ]);
 * const [f] = unseenIdentifier.find(s);
 * assert.deepEqual([f.rule, f.seqs, f.entities[0].value], ["unseen-identifier", [1, 2], "E999"]);
 * ```
 */
export const unseenIdentifier: FindingRule = {
  id: "unseen-identifier",
  description:
    "a failed or empty call on an identifier nothing earlier in the session mentioned",
  find: function findUnseenIdentifier(session: SessionCalls): Finding[] {
    const findings: Finding[] = [];
    for (const call of session.calls) {
      if (!call.failed && !call.empty) continue;
      const unseen = call.argumentEntities.filter((e) =>
        !seenBefore(session, e.value, call.requestSeq)
      );
      if (unseen.length === 0) continue;
      const names = unseen.map((e) => `${e.type} "${e.value}"`).join(", ");
      const outcome = call.failed ? "failed" : "found nothing";
      findings.push({
        rule: unseenIdentifier.id,
        severity: "medium",
        title: `${call.tool} was called with ${names}, which came from nowhere`,
        explanation:
          `The call to ${call.tool} (seq ${call.requestSeq}) names ${names}, but no earlier result or client message of the session contained ${
            unseen.length === 1 ? "it" : "them"
          }, and the call ${outcome}${
            call.replySeq !== undefined ? ` (seq ${call.replySeq})` : ""
          }. The agent likely made the identifier up.`,
        session: session.session,
        seqs: [
          call.requestSeq,
          ...(call.replySeq !== undefined ? [call.replySeq] : []),
        ],
        entities: unseen,
      });
    }
    return findings;
  },
};
