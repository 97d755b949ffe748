/**
 * The rule `scope-crossing`: a call reaches an entity attribute (an
 * employee's department, as a plugin or an extractor logged it on the
 * call) whose value lies outside the session's declared scope. The scope
 * comes from the rule's options (the config) or from the client, in
 * `_meta["mcp-audit/scope"]` of a request (e.g. the requesting user's
 * department); without either the rule is silent. This is the HR demo's
 * question: why did the agent read the pay of someone in another
 * department?
 *
 * @module
 */
import type { Finding, FindingEntity, FindingRule } from "./finding.ts";
import {
  isOutward,
  SCOPE_META_KEY,
  type SessionCalls,
} from "./session_calls.ts";

/** Options of {@linkcode scopeCrossingRule}. */
export interface ScopeCrossingOptions {
  /**
   * The scope for every session: entity type -> the values inside it. A
   * scope the client declares in `_meta` replaces it from that request on.
   */
  scope?: Record<string, string | string[]>;
}

/**
 * The `scope-crossing` rule with a scope of its own (from the config).
 *
 * @example
 * ```ts
 * import { scopeCrossingRule } from "./scope_crossing.ts";
 * import { sessionCalls } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const rule = scopeCrossingRule({ scope: { department: "Engineering" } });
 * const [s] = sessionCalls([
 *   { seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "get_pay",
 *     params: { name: "get_pay", arguments: { id: "E7" } }, classes: [{ label: "SENSITIVE" }] },
 *   { seq: 2, session: "s", kind: "response", dir: "s2c", requestSeq: 1, result: {},
 *     entities: [{ type: "department", value: "Sales", path: "result" }] },
 * ]);
 * const [f] = rule.find(s);
 * assert.deepEqual([f.severity, f.seqs, f.entities], ["high", [1, 2], [{ type: "department", value: "Sales" }]]);
 * ```
 */
export function scopeCrossingRule(
  options: ScopeCrossingOptions = {},
): FindingRule {
  const configured = options.scope === undefined
    ? undefined
    : Object.fromEntries(
      Object.entries(options.scope).map((
        [t, v],
      ) => [t, typeof v === "string" ? [v] : v]),
    );
  const rule: FindingRule = {
    id: "scope-crossing",
    description:
      "a call reaches an entity (e.g. a department) outside the session's declared scope",
    find(session: SessionCalls): Finding[] {
      const findings: Finding[] = [];
      const declarations = session.scopes ?? [];
      for (const call of session.calls) {
        // The scope in force at the call: the last declared before it, else the config's.
        let scope = configured, declaredAt: number | undefined;
        for (const d of declarations) {
          if (d.seq > call.requestSeq) break;
          scope = d.scope;
          declaredAt = d.seq;
        }
        if (scope === undefined) continue;
        const inScope = scope;
        const outside: FindingEntity[] = [];
        for (const e of [...call.argumentEntities, ...call.resultEntities]) {
          const allowed = inScope[e.type];
          if (allowed === undefined) continue;
          if (allowed.some((a) => a.toLowerCase() === e.value.toLowerCase())) {
            continue;
          }
          if (!outside.some((o) => o.type === e.type && o.value === e.value)) {
            outside.push(e);
          }
        }
        if (outside.length === 0) continue;
        const sensitive = call.classes.has("SENSITIVE");
        const outward = isOutward(call, session.hints.get(call.tool));
        const names = outside.map((e) => `${e.type} "${e.value}"`).join(", ");
        const scopeText = Object.entries(inScope).filter(([t]) =>
          outside.some((e) => e.type === t)
        ).map(([t, v]) => `${t} ${v.join(" or ")}`).join("; ");
        const source = declaredAt === undefined
          ? "the config"
          : `the client's _meta["${SCOPE_META_KEY}"] (seq ${declaredAt})`;
        findings.push({
          rule: rule.id,
          severity: sensitive || outward ? "high" : "low",
          title: `${call.tool} reached ${names}, outside the session's scope`,
          explanation: `The ${
            sensitive ? "SENSITIVE " : outward ? "outward " : ""
          }call ${call.tool} (seq ${call.requestSeq}${
            call.replySeq !== undefined
              ? `, answered at seq ${call.replySeq}`
              : ""
          }) involves ${names}, but the session's scope, set by ${source}, is ${scopeText}. ${
            sensitive
              ? "The agent read sensitive data beyond what the request was about."
              : outward
              ? "The agent acted beyond what the request was about."
              : "The agent looked beyond what the request was about."
          }`,
          session: session.session,
          seqs: [
            ...(declaredAt !== undefined ? [declaredAt] : []),
            call.requestSeq,
            ...(call.replySeq !== undefined ? [call.replySeq] : []),
          ],
          entities: outside,
        });
      }
      return findings;
    },
  };
  return rule;
}

/**
 * The `scope-crossing` rule with no configured scope: it fires only in
 * sessions whose client declared one in `_meta["mcp-audit/scope"]`.
 *
 * @example
 * ```ts
 * import { scopeCrossing } from "./scope_crossing.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(scopeCrossing.id, "scope-crossing");
 * ```
 */
export const scopeCrossing: FindingRule = scopeCrossingRule();
