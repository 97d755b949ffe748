/**
 * The rule `write-without-read`: a call classed WRITE or DESTRUCTIVE (or
 * annotated destructive) on an entity that no earlier call read: the agent
 * changed something it had not looked at.
 *
 * @module
 */
import type { Finding, FindingEntity, FindingRule } from "./finding.ts";
import { type SessionCalls, stringValues } from "./session_calls.ts";

/**
 * Finds writes on entities not read before in the session.
 *
 * @example
 * ```ts
 * import { writeWithoutRead } from "./write_without_read.ts";
 * import { sessionCalls } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const [s] = sessionCalls([
 *   { seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "delete",
 *     params: { name: "delete", arguments: { id: "A1" } }, classes: [{ label: "DESTRUCTIVE" }],
 *     entities: [{ type: "account", value: "A1", path: "arguments.id" }] },
 * ]);
 * const [f] = writeWithoutRead.find(s);
 * assert.deepEqual([f.severity, f.seqs], ["high", [1]]);
 * ```
 */
export const writeWithoutRead: FindingRule = {
  id: "write-without-read",
  description:
    "a WRITE or DESTRUCTIVE call on an entity no earlier call of the session read",
  find: function findWriteWithoutRead(session: SessionCalls): Finding[] {
    const findings: Finding[] = [];
    // What the reading calls so far named or returned: entities and string values.
    const read = new Set<string>();
    for (const call of session.calls) {
      const hints = session.hints.get(call.tool);
      const destructive = call.classes.has("DESTRUCTIVE") ||
        hints?.destructiveHint === true;
      if (!destructive && !call.classes.has("WRITE")) {
        for (const e of [...call.argumentEntities, ...call.resultEntities]) {
          read.add(key(e));
        }
        for (const text of stringValues(call.result)) read.add(text.trim());
        continue;
      }
      const unread = call.argumentEntities.filter((e) =>
        !read.has(key(e)) && !read.has(e.value)
      );
      if (unread.length === 0) continue;
      const names = unread.map((e) => `${e.type} "${e.value}"`).join(", ");
      const kind = destructive ? "destructive" : "write";
      findings.push({
        rule: writeWithoutRead.id,
        severity: destructive ? "high" : "medium",
        title: `${call.tool} changed ${names} without reading it first`,
        explanation:
          `The ${kind} call ${call.tool} (seq ${call.requestSeq}) acts on ${names}, but no earlier call of the session read ${
            unread.length === 1 ? "it" : "them"
          }: the agent changed what it had not looked at.`,
        session: session.session,
        seqs: [
          call.requestSeq,
          ...(call.replySeq !== undefined ? [call.replySeq] : []),
        ],
        entities: unread,
      });
    }
    return findings;
  },
};

function key(e: FindingEntity): string {
  return `${e.type}\u0000${e.value}`;
}
