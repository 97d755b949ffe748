/**
 * The rule `repeated-call`: the same tool called with the same arguments
 * again and again in one session, an agent going round in a loop.
 *
 * @module
 */
import type { Finding, FindingRule } from "./finding.ts";
import type { SessionCalls, ToolCall } from "./session_calls.ts";

/** Calls alike from which a loop is reported. */
export const REPEAT_THRESHOLD = 3;
/** Calls alike from which the loop is of medium severity. */
export const REPEAT_MEDIUM = 10;

/**
 * Finds calls repeated {@linkcode REPEAT_THRESHOLD} times or more.
 *
 * @example
 * ```ts
 * import { repeatedCall } from "./repeated_call.ts";
 * import { sessionCalls } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const call = (seq: number) => ({ seq, session: "s", kind: "request", dir: "c2s",
 *   method: "tools/call", tool: "ls", params: { name: "ls", arguments: { dir: "/" } } });
 * const [s] = sessionCalls([call(1), call(2), call(3)]);
 * assert.deepEqual(repeatedCall.find(s).map((f) => f.seqs), [[1, 2, 3]]);
 * ```
 */
export const repeatedCall: FindingRule = repeatedCallRule();

/** Options of {@linkcode repeatedCallRule}. */
export interface RepeatedCallOptions {
  /** Calls alike from which a loop is reported. @default {3} */
  threshold?: number;
  /** Calls alike from which it is of medium severity. @default {10} */
  medium?: number;
}

/**
 * The `repeated-call` rule with its own thresholds (from the config).
 *
 * @example
 * ```ts
 * import { repeatedCallRule } from "./repeated_call.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(repeatedCallRule({ threshold: 5 }).description, /5 times/);
 * ```
 */
export function repeatedCallRule(
  options: RepeatedCallOptions = {},
): FindingRule {
  const threshold = options.threshold ?? REPEAT_THRESHOLD;
  const medium = options.medium ?? REPEAT_MEDIUM;
  const rule: FindingRule = {
    id: "repeated-call",
    description:
      `the same tool called with the same arguments ${threshold} times or more`,
    find: function findRepeatedCall(session: SessionCalls): Finding[] {
      const groups = new Map<string, ToolCall[]>();
      for (const call of session.calls) {
        let key: string;
        try {
          key = `${call.tool}\u0000${JSON.stringify(call.arguments ?? null)}`;
        } catch {
          continue;
        }
        const group = groups.get(key) ?? [];
        group.push(call);
        groups.set(key, group);
      }
      const findings: Finding[] = [];
      for (const group of groups.values()) {
        if (group.length < threshold) continue;
        const { tool } = group[0];
        const failed = group.filter((c) => c.failed).length;
        findings.push({
          rule: rule.id,
          severity: group.length >= medium ? "medium" : "low",
          title:
            `${tool} was called ${group.length} times with the same arguments`,
          explanation:
            `The same call to ${tool} was made ${group.length} times (seq ${
              group.map((c) => c.requestSeq).join(", ")
            })${
              failed ? `; ${failed} of them failed` : ""
            }. An agent that repeats a call unchanged is likely stuck in a loop.`,
          session: session.session,
          seqs: group.map((c) => c.requestSeq),
          entities: group[0].argumentEntities,
        });
      }
      return findings;
    },
  };
  return rule;
}
