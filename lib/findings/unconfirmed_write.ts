/**
 * The rule `unconfirmed-write`: calls classed WRITE or DESTRUCTIVE (or
 * annotated destructive) that succeeded and that no user confirmed, one
 * finding a tool. It
 * answers a reviewer's "did anyone authorise that?": a confirmation an
 * MCP log can hold is the client's `accept` of an `elicitation/create` the
 * server sent during the call (in the 2026-07-28 era, the retry whose
 * `inputResponses` accept), or a guard `ask` the user accepted. Without
 * one, nothing in the log shows that anyone but the agent decided it.
 *
 * @module
 */
import type { Finding, FindingEntity, FindingRule } from "./finding.ts";
import type { SessionCalls, ToolCall } from "./session_calls.ts";

/**
 * Finds the writes no user confirmed: low, medium when one of a tool's is
 * destructive.
 *
 * @example
 * ```ts
 * import { unconfirmedWrite } from "./unconfirmed_write.ts";
 * import { sessionCalls } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const call = (seq: number, id: string) => [
 *   { seq, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "submit",
 *     params: { name: "submit", arguments: { id } }, classes: [{ label: "WRITE" }] },
 *   { seq: seq + 3, session: "s", kind: "response", dir: "s2c", requestSeq: seq, result: {} },
 * ];
 * const [s] = sessionCalls([
 *   ...call(1, "A"),
 *   { seq: 2, session: "s", kind: "request", dir: "s2c", method: "elicitation/create", id: 0 },
 *   { seq: 3, session: "s", kind: "response", dir: "c2s", requestSeq: 2, result: { action: "accept" } },
 *   ...call(10, "B"),
 * ]);
 * const [f] = unconfirmedWrite.find(s);
 * assert.deepEqual([f.severity, f.seqs], ["low", [10, 13]]);
 * ```
 */
export const unconfirmedWrite: FindingRule = {
  id: "unconfirmed-write",
  description:
    "WRITE or DESTRUCTIVE calls that no user confirmed (no accepted elicitation or guard approval)",
  find: function findUnconfirmedWrite(session: SessionCalls): Finding[] {
    const byTool = new Map<
      string,
      { calls: ToolCall[]; destructive: boolean }
    >();
    const confirmed = confirmationsOf(session);
    for (const call of session.calls) {
      const destructive = call.classes.has("DESTRUCTIVE") ||
        session.hints.get(call.tool)?.destructiveHint === true;
      if (!destructive && !call.classes.has("WRITE")) continue;
      // A call that failed (or that the guard refused) changed nothing.
      if (call.failed || confirmed(call)) continue;
      let group = byTool.get(call.tool);
      if (!group) byTool.set(call.tool, group = { calls: [], destructive });
      group.calls.push(call);
      group.destructive ||= destructive;
    }
    const findings: Finding[] = [];
    for (const [tool, { calls, destructive }] of byTool) {
      const seqs = calls.flatMap((c) =>
        c.replySeq === undefined ? [c.requestSeq] : [c.requestSeq, c.replySeq]
      );
      const entities: FindingEntity[] = [];
      for (const c of calls) {
        for (const e of c.argumentEntities) {
          if (entities.length >= 10) break;
          if (!entities.some((x) => x.type === e.type && x.value === e.value)) {
            entities.push(e);
          }
        }
      }
      // The first ten seqs in words; the finding's seqs hold them all.
      const at = calls.slice(0, 10).map((c) => c.requestSeq).join(", ") +
        (calls.length > 10 ? ` and ${calls.length - 10} more` : "");
      const what = calls.length === 1
        ? `The ${
          destructive ? "destructive" : "write"
        } call ${tool} (seq ${at})`
        : `${calls.length} ${
          destructive ? "destructive" : "write"
        } calls of ${tool} (seq ${at})`;
      const could = session.elicitation === false
        ? " The client declared no elicitation capability in initialize, so the server could not have asked."
        : "";
      findings.push({
        rule: unconfirmedWrite.id,
        severity: destructive ? "medium" : "low",
        title: `${tool} changed data with no confirmation from a user${
          calls.length === 1 ? "" : ` (${calls.length} calls)`
        }`,
        explanation: `${what} changed data, and no user confirmed ${
          calls.length === 1 ? "it" : "them"
        }: no elicitation was accepted during ${
          calls.length === 1 ? "the call" : "the calls"
        } and no guard asked. Nothing in the log shows that anyone but the agent decided ${
          calls.length === 1 ? "it" : "them"
        }.${could}`,
        session: session.session,
        seqs,
        entities,
      });
    }
    return findings;
  },
};

/**
 * Whether a confirmation of the session belongs to a call: a guard
 * approval of its request, or an answer between its request and its
 * reply. Looked up, not scanned: a session whose every write was confirmed
 * would otherwise compare each write with each confirmation.
 */
function confirmationsOf(
  session: SessionCalls,
): (call: ToolCall) => boolean {
  const approved = new Set<number>();
  const answers: number[] = []; // In seq order, as the session lists them.
  for (const c of session.confirmations ?? []) {
    if (c.requestSeq !== undefined) approved.add(c.requestSeq);
    else answers.push(c.seq);
  }
  return (call) => {
    if (approved.has(call.requestSeq)) return true;
    // The first answer after the request, and whether it came before the reply.
    let lo = 0, hi = answers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (answers[mid] <= call.requestSeq) lo = mid + 1;
      else hi = mid;
    }
    return lo < answers.length && answers[lo] < (call.replySeq ?? Infinity);
  };
}
