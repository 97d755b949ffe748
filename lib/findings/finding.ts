/**
 * What a finding is: one question a reviewer would ask of a session ("did
 * pay data leave through another tool?"), answered from the log with the
 * events it rests on. Rules (one file each) make findings from a session's
 * calls; `find_findings.ts` runs them all.
 *
 * @module
 */
import type { SessionCalls } from "./session_calls.ts";

/** How much a finding matters, most first. */
export type Severity = "high" | "medium" | "low";

/** The severities, most serious first. */
export const SEVERITIES: readonly Severity[] = ["high", "medium", "low"];

/** An entity a finding involves. */
export interface FindingEntity {
  /** The entity's type, e.g. `employee`, or the type in a redaction marker. */
  type: string;
  /** Its value as logged (a redaction marker stays a marker). */
  value: string;
}

/** One finding: a rule that fired on some events of one session. */
export interface Finding {
  /** The rule's id, e.g. `data-flow-out`. */
  rule: string;
  /** How much it matters. */
  severity: Severity;
  /** What happened, in plain words. */
  title: string;
  /** Why it matters and what the events show. */
  explanation: string;
  /** The session the events belong to. */
  session: string;
  /** Seq numbers of the events it rests on, ascending. */
  seqs: number[];
  /** The entities involved. */
  entities: FindingEntity[];
  /** The value that flowed, for rules about a value (shown highlighted). */
  value?: string;
  /**
   * The seq of the `finding` event the proxy logged for it live, when it
   * did (`liveFindings`); the finding event is evidence of its own.
   */
  loggedSeq?: number;
  /**
   * True for a finding read from a logged `finding` event that no rule run
   * here found again (its rule is a plugin's that is not loaded, or was
   * switched off): it is shown as the proxy logged it.
   */
  loggedOnly?: true;
}

/** A built-in (or later, a user's) rule: a name and a function of one session. */
export interface FindingRule {
  /** The rule id findings carry, kebab-case. */
  id: string;
  /** What the rule looks for, one line (for help texts and the README). */
  description: string;
  /** The findings in one session. */
  find(session: SessionCalls): Finding[];
}

/**
 * Orders findings most severe first, then by the first event they rest on.
 *
 * @example
 * ```ts
 * import { compareFindings, type Finding } from "./finding.ts";
 * import assert from "node:assert/strict";
 *
 * const f = (severity: Finding["severity"], seq: number): Finding => ({
 *   rule: "r", severity, title: "", explanation: "", session: "s", seqs: [seq], entities: [],
 * });
 * const sorted = [f("low", 1), f("high", 9), f("high", 2)].sort(compareFindings);
 * assert.deepEqual(sorted.map((x) => [x.severity, x.seqs[0]]), [["high", 2], ["high", 9], ["low", 1]]);
 * ```
 */
export function compareFindings(a: Finding, b: Finding): number {
  return SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
    (a.session < b.session ? -1 : a.session > b.session ? 1 : 0) ||
    (a.seqs[0] ?? 0) - (b.seqs[0] ?? 0) ||
    (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);
}

/**
 * Whether a finding's severity is `at` or more serious.
 *
 * @example
 * ```ts
 * import { atLeast } from "./finding.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(atLeast("high", "medium"), true);
 * assert.equal(atLeast("low", "medium"), false);
 * ```
 */
export function atLeast(severity: Severity, at: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(at);
}

/**
 * Whether every seq of `inner` is among those of `outer` (both ascending):
 * a finding resting on `outer` rests on all `inner` does.
 *
 * @example
 * ```ts
 * import { coversSeqs } from "./finding.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(coversSeqs([3, 4, 9], [3, 4]), true);
 * assert.equal(coversSeqs([3, 4, 9], [3, 5]), false);
 * ```
 */
export function coversSeqs(
  outer: readonly number[],
  inner: readonly number[],
): boolean {
  let i = 0;
  for (const seq of outer) if (seq === inner[i]) i++;
  return i === inner.length;
}
