/**
 * Per-rule settings, as the config's `findings` section holds them: each
 * rule can be switched off, given a fixed severity, and (where it has
 * them) its thresholds or scope.
 *
 * @module
 */
import type { Finding, FindingRule, Severity } from "./finding.ts";
import { BUILTIN_RULES } from "./builtin_rules.ts";
import { repeatedCallRule } from "./repeated_call.ts";
import { errorStormRule } from "./error_storm.ts";
import { scopeCrossingRule } from "./scope_crossing.ts";

/** The settings of one rule. */
export interface RuleSettings {
  /** `false` switches the rule off. @default {true} */
  enabled?: boolean;
  /** Every finding of the rule gets this severity. */
  severity?: Severity;
  /** `repeated-call`: calls alike from which a loop is reported (3); `error-storm`: failed calls from which a storm is (5). */
  threshold?: number;
  /** `repeated-call`: calls alike from which the loop is medium (10). */
  medium?: number;
  /** `error-storm`: share of failed calls, 0 to 1, from which a storm is reported (0.5). */
  rate?: number;
  /** `scope-crossing`: entity type -> the values inside the session's scope. */
  scope?: Record<string, string | string[]>;
}

/** The config's `findings` section: rule id -> its settings, or `false` for off. */
export type FindingsSettings = Record<string, false | RuleSettings>;

/** A setting names a rule that does not exist. */
export class UnknownRuleError extends Error {
  /**
   * Names the rule and the rules there are.
   *
   * @param id The rule id that was named.
   * @param known The ids there are.
   */
  constructor(id: string, known: readonly string[]) {
    super(
      `findings: there is no rule "${id}"; the rules are ${
        known.join(", ")
      }. Fix the name in the config's "findings" section.`,
    );
    this.name = "UnknownRuleError";
  }
}

/**
 * The rules to run under `settings`: those switched off left out, the
 * others built with their thresholds and their severity fixed where set.
 *
 * @example
 * ```ts
 * import { configureRules } from "./rule_settings.ts";
 * import assert from "node:assert/strict";
 *
 * const rules = configureRules({ "error-storm": false, "repeated-call": { threshold: 5 } });
 * assert.ok(!rules.some((r) => r.id === "error-storm"));
 * assert.match(rules.find((r) => r.id === "repeated-call")!.description, /5 times/);
 * assert.throws(() => configureRules({ "eror-storm": false }), /no rule "eror-storm"/);
 * ```
 */
export function configureRules(
  settings: FindingsSettings = {},
  rules: readonly FindingRule[] = BUILTIN_RULES,
): FindingRule[] {
  const known = rules.map((r) => r.id);
  for (const id of Object.keys(settings)) {
    if (!known.includes(id)) throw new UnknownRuleError(id, known);
  }
  const out: FindingRule[] = [];
  for (const builtin of rules) {
    const s = settings[builtin.id];
    if (s === false || s?.enabled === false) continue;
    if (s === undefined) {
      out.push(builtin);
      continue;
    }
    let rule = builtin;
    if (builtin.id === "repeated-call" && (s.threshold || s.medium)) {
      rule = repeatedCallRule({ threshold: s.threshold, medium: s.medium });
    } else if (builtin.id === "error-storm" && (s.threshold || s.rate)) {
      rule = errorStormRule({ minErrors: s.threshold, minRate: s.rate });
    } else if (builtin.id === "scope-crossing" && s.scope) {
      rule = scopeCrossingRule({ scope: s.scope });
    }
    out.push(s.severity ? withSeverity(rule, s.severity) : rule);
  }
  return out;
}

function withSeverity(rule: FindingRule, severity: Severity): FindingRule {
  return {
    ...rule,
    find: (session): Finding[] =>
      rule.find(session).map((f) => ({ ...f, severity })),
  };
}
