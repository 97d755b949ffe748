/**
 * Runs the finding rules over a log's events, session by session, and
 * returns the findings most severe first. The same function serves the
 * report, `check` and `summary`. The `finding` events the proxy logged
 * live are merged in: one that a rule found again here is that finding
 * (its `loggedSeq` set), not a second one; one that no rule here found
 * (a plugin's rule not loaded) is kept as logged (`loggedOnly`).
 *
 * @module
 */
import {
  compareFindings,
  coversSeqs,
  type Finding,
  type FindingRule,
  SEVERITIES,
  type Severity,
} from "./finding.ts";
import { type SessionCalls, sessionCalls } from "./session_calls.ts";
import { BUILTIN_RULES } from "./builtin_rules.ts";
import type { McpLinks } from "../audit/mcp_link.ts";

/** Options of {@linkcode findFindings}. */
export interface FindFindingsOptions {
  /**
   * The rules to run.
   *
   * @default {BUILTIN_RULES}
   */
  rules?: readonly FindingRule[];
  /**
   * Merge the `finding` events logged live into the findings.
   *
   * @default {true}
   */
  logged?: boolean;
  /**
   * The hook-seen calls of `events` linked to the proxy's, when the caller
   * has linked them already.
   *
   * @default {linkMcpCalls(events)}
   */
  links?: McpLinks;
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
 *
 * @example A finding the proxy logged live, whose rule is not run here
 * ```ts
 * import { findFindings } from "./find_findings.ts";
 * import assert from "node:assert/strict";
 *
 * const [f] = findFindings([
 *   { seq: 7, session: "s", kind: "finding", rule: "outside-host", severity: "high",
 *     title: "send_webhook sent to evil.test", explanation: "", seqs: [3, 4], entities: [] },
 * ]);
 * assert.deepEqual([f.rule, f.seqs, f.loggedSeq, f.loggedOnly], ["outside-host", [3, 4], 7, true]);
 * ```
 */
export function findFindings(
  events: readonly unknown[],
  options: FindFindingsOptions = {},
): Finding[] {
  const findings = rulesFindings(
    sessionCalls(events, options.links),
    options.rules ?? BUILTIN_RULES,
  );
  if (options.logged !== false) mergeLogged(findings, events);
  return findings.sort(compareFindings);
}

/**
 * What `rules` find in sessions already built (see `SessionCallsBuilder`),
 * each finding's seqs in order and once; unsorted.
 *
 * @example
 * ```ts
 * import { rulesFindings } from "./find_findings.ts";
 * import { SessionCallsBuilder } from "./session_calls.ts";
 * import { BUILTIN_RULES } from "./builtin_rules.ts";
 * import assert from "node:assert/strict";
 *
 * const builder = new SessionCallsBuilder();
 * builder.add([
 *   { seq: 1, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "get",
 *     params: { name: "get", arguments: { employee_id: "E999" } },
 *     entities: [{ type: "employee", value: "E999", path: "arguments.employee_id" }] },
 *   { seq: 2, session: "s", kind: "error", dir: "s2c", requestSeq: 1, error: { code: -1 } },
 * ]);
 * const findings = rulesFindings(builder.sessions(), BUILTIN_RULES);
 * assert.deepEqual(findings.map((f) => f.rule), ["unseen-identifier"]);
 * ```
 */
export function rulesFindings(
  sessions: readonly SessionCalls[],
  rules: readonly FindingRule[],
): Finding[] {
  const findings: Finding[] = [];
  for (const session of sessions) {
    for (const rule of rules) findings.push(...rule.find(session));
  }
  for (const f of findings) f.seqs = [...new Set(f.seqs)].sort((a, b) => a - b);
  return findings;
}

/**
 * Adds to `findings` the logged `finding` events no finding covers: a
 * logged finding is the same as one of the same rule and session that
 * rests on every event it names (a finding logged at medium and found
 * again at high, with the calls that followed, is one finding).
 */
function mergeLogged(findings: Finding[], events: readonly unknown[]): void {
  const logged: Finding[] = [];
  for (const e of events) {
    const f = loggedFinding(e);
    if (f) logged.push(f);
  }
  if (logged.length === 0) return;
  // Most severe and widest first, so a narrower one finds what covers it.
  logged.sort((a, b) =>
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
    b.seqs.length - a.seqs.length
  );
  const computed = findings.length;
  for (const f of logged) {
    const same = (g: Finding): boolean =>
      g.rule === f.rule && g.session === f.session &&
      coversSeqs(g.seqs, f.seqs);
    const found = findings.slice(0, computed).find(same);
    if (found) {
      found.loggedSeq ??= f.loggedSeq;
      continue;
    }
    if (findings.slice(computed).some(same)) continue;
    findings.push(f);
  }
}

/** A logged `finding` event as a finding, or undefined for anything else. */
function loggedFinding(e: unknown): Finding | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  const r = e as Record<string, unknown>;
  if (
    r.kind !== "finding" || typeof r.rule !== "string" ||
    typeof r.session !== "string" || typeof r.seq !== "number" ||
    !SEVERITIES.includes(r.severity as Severity) || !Array.isArray(r.seqs)
  ) return undefined;
  const seqs = [
    ...new Set(r.seqs.filter((s): s is number => typeof s === "number")),
  ].sort((a, b) => a - b);
  const f: Finding = {
    rule: r.rule,
    severity: r.severity as Severity,
    title: typeof r.title === "string" ? r.title : r.rule,
    explanation: typeof r.explanation === "string" ? r.explanation : "",
    session: r.session,
    seqs,
    entities: Array.isArray(r.entities)
      ? r.entities.filter((x): x is { type: string; value: string } =>
        typeof x?.type === "string" && typeof x?.value === "string"
      ).map(({ type, value }) => ({ type, value }))
      : [],
    loggedSeq: r.seq,
    loggedOnly: true,
  };
  if (typeof r.value === "string") f.value = r.value;
  return f;
}
