/**
 * The guard with its memory: {@linkcode decide} plus the calls it has seen
 * for rate rules. One per session (the proxy's), or one per replayed log
 * (`policy test`).
 *
 * @module
 */
import type { Policy } from "./policy.ts";
import {
  decide,
  type Decision,
  type GuardCall,
  type RateCounts,
  windowMs,
} from "./decide.ts";

/** The longest rate window of a policy, so older calls can be forgotten. */
function longestWindow(policy: Policy): number {
  let longest = 0;
  for (const rule of policy.rules) {
    if (rule.rate) longest = Math.max(longest, windowMs(rule.rate.per));
  }
  return longest;
}

/**
 * Decides calls against a policy and counts them for its rate rules.
 *
 * @example A rate of two calls a minute
 * ```ts
 * import { Guard } from "./guard.ts";
 * import assert from "node:assert/strict";
 *
 * const guard = new Guard({ mode: "enforce", rules: [{ id: "slow", tool: "search", rate: { max: 2, per: "1m" }, action: "deny" }] });
 * const time = new Date("2026-12-01T10:00:00Z");
 * const actions = [0, 1, 2].map(() => guard.check({ tool: "search", time }).action);
 * assert.deepEqual(actions, ["allow", "allow", "deny"]);
 * ```
 */
export class Guard implements RateCounts {
  /** The policy. */
  readonly policy: Policy;
  #seen = new Map<string, number[]>();
  #keep: number;

  /** Creates a guard for `policy`. */
  constructor(policy: Policy) {
    this.policy = policy;
    this.#keep = longestWindow(policy);
  }

  /** Calls recorded under `key` at or after `since`. */
  count(key: string, since: number): number {
    const times = this.#seen.get(key);
    if (!times) return 0;
    let n = 0;
    for (let i = times.length - 1; i >= 0 && times[i] >= since; i--) n++;
    return n;
  }

  /** Decides `call` and records it for the rate rules it counts under. */
  check(call: GuardCall): Decision {
    const time = call.time ?? new Date();
    const decision = decide({ ...call, time }, {
      policy: this.policy,
      rates: this,
    });
    for (const key of decision.rateKeys) {
      let times = this.#seen.get(key);
      if (!times) this.#seen.set(key, times = []);
      times.push(time.getTime());
      const cut = time.getTime() - this.#keep;
      while (times.length > 0 && times[0] < cut) times.shift();
    }
    return decision;
  }
}
