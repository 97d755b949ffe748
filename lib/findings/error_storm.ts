/**
 * The rule `error-storm`: many tool calls of a session failed, both in
 * number and as a share of its calls.
 *
 * @module
 */
import type { Finding, FindingRule } from "./finding.ts";
import type { SessionCalls } from "./session_calls.ts";

/** Failed calls from which a storm is reported. */
export const STORM_MIN_ERRORS = 5;
/** Share of failed calls from which a storm is reported. */
export const STORM_MIN_RATE = 0.5;

/**
 * Finds sessions where at least {@linkcode STORM_MIN_ERRORS} calls, and at
 * least {@linkcode STORM_MIN_RATE} of them, failed.
 *
 * @example
 * ```ts
 * import { errorStorm } from "./error_storm.ts";
 * import { sessionCalls } from "./session_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const events = [1, 2, 3, 4, 5].flatMap((i) => [
 *   { seq: 2 * i, session: "s", kind: "request", dir: "c2s", method: "tools/call", tool: "t" },
 *   { seq: 2 * i + 1, session: "s", kind: "error", dir: "s2c", requestSeq: 2 * i, error: {} },
 * ]);
 * assert.equal(errorStorm.find(sessionCalls(events)[0]).length, 1);
 * assert.equal(errorStorm.find(sessionCalls(events.slice(2))[0]).length, 0);
 * ```
 */
export const errorStorm: FindingRule = errorStormRule();

/** Options of {@linkcode errorStormRule}. */
export interface ErrorStormOptions {
  /** Failed calls from which a storm is reported. @default {5} */
  minErrors?: number;
  /** Share of failed calls (0 to 1) from which a storm is reported. @default {0.5} */
  minRate?: number;
}

/**
 * The `error-storm` rule with its own thresholds (from the config).
 *
 * @example
 * ```ts
 * import { errorStormRule } from "./error_storm.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(errorStormRule({ minErrors: 2, minRate: 0.25 }).description, /^2 or more .* 25%/);
 * ```
 */
export function errorStormRule(options: ErrorStormOptions = {}): FindingRule {
  const minErrors = options.minErrors ?? STORM_MIN_ERRORS;
  const minRate = options.minRate ?? STORM_MIN_RATE;
  const rule: FindingRule = {
    id: "error-storm",
    description: `${minErrors} or more tool calls failed, ${
      minRate * 100
    }% of the calls or more`,
    find: function findErrorStorm(session: SessionCalls): Finding[] {
      const calls = session.calls.filter((c) => c.replySeq !== undefined);
      const failed = calls.filter((c) => c.failed);
      if (
        failed.length < minErrors ||
        failed.length / calls.length < minRate
      ) return [];
      const tools = [...new Set(failed.map((c) => c.tool))];
      return [{
        rule: rule.id,
        severity: "medium",
        title: `${failed.length} of ${calls.length} tool calls failed`,
        explanation:
          `${failed.length} of the session's ${calls.length} answered tool calls failed (${
            tools.join(", ")
          }). An agent that keeps calling into errors is misusing the tools or the server is broken.`,
        session: session.session,
        seqs: failed.map((c) => c.replySeq!),
        entities: [],
      }];
    },
  };
  return rule;
}
