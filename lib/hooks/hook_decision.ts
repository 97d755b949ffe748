/**
 * A guard's decision on a tool call -> what the agent's hook protocol
 * expects on stdout and as the exit status. The policy that decides is a
 * seam ({@linkcode HookPolicy}); `hook_guard.ts` plugs the guard mode's
 * policy engine (lib/guard) into it.
 *
 * Output formats, from each agent's hook reference:
 * - Claude Code (code.claude.com/docs/en/hooks, "PreToolUse decision
 *   control"): exit 0 and `{"hookSpecificOutput": {"hookEventName":
 *   "PreToolUse", "permissionDecision": "allow"|"deny"|"ask",
 *   "permissionDecisionReason": "..."}}`; a deny's reason is shown to the
 *   model.
 * - Codex CLI (openai/codex `codex-rs/hooks/schema/generated/
 *   pre-tool-use.command.output.schema.json`): the same
 *   `hookSpecificOutput` with `permissionDecision` allow, deny or ask.
 * - Cursor (cursor.com/docs/agent/hooks): `{"permission": "allow"|"deny"|
 *   "ask", "user_message": "...", "agent_message": "..."}`.
 *
 * With no decision nothing is printed: for Claude Code and Codex plain
 * stdout of some events becomes model context, so silence is the neutral
 * answer.
 *
 * @module
 */
import type { HookAgent, HookCall } from "./hook_input.ts";

/** What a policy answers for a tool call. */
export interface HookDecision {
  /** `allow`, `deny` or `ask` (the guard's `hide` has no hook form: it is taken as `deny`). */
  action: "allow" | "deny" | "ask" | "hide";
  /** Why, for the agent and its model. */
  reason: string;
  /** The rule that decided; absent when none did (the policy's default). */
  ruleId?: string;
  /**
   * The policy's mode: in `monitor` the decision is only recorded, and the
   * agent is given no answer.
   * @default {"enforce"}
   */
  mode?: "monitor" | "enforce";
}

/** What the pipeline found in a call, for the policy to decide on. */
export interface HookFacts {
  /** The call's class labels (built-in tool rules, then the config's plugins). */
  classes: readonly string[];
  /** The entities found in the call. */
  entities?: readonly { type: string; value: string }[];
}

/** Decides on a classified tool call; undefined when there is no policy to ask. */
export interface HookPolicy {
  /** The decision on `call`, with what the pipeline found in it. */
  decide(call: HookCall, facts: HookFacts): HookDecision | undefined;
}

/** What the hook prints and exits with. */
export interface HookAnswer {
  /** Text for stdout ("" for none). */
  stdout: string;
  /** The exit status. */
  exit: number;
}

/**
 * Whether a decision is answered to the agent: only in `enforce` mode, and
 * not a plain "no rule matched, allowed" (silence leaves the agent's own
 * permission rules in charge; only a rule's `allow` answers allow).
 *
 * @example
 * ```ts
 * import { answered } from "./hook_decision.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(answered({ action: "deny", reason: "r", ruleId: "no-rm" }), true);
 * assert.equal(answered({ action: "deny", reason: "r", mode: "monitor" }), false);
 * assert.equal(answered({ action: "allow", reason: "no policy rule matched" }), false);
 * ```
 */
export function answered(decision: HookDecision | undefined): boolean {
  if (!decision || decision.mode === "monitor") return false;
  return decision.action !== "allow" || decision.ruleId !== undefined;
}

/**
 * The agent's answer to a pre-event with `decision` (none, a monitor-mode
 * decision, or the default allow: silence).
 *
 * @example Claude Code's deny
 * ```ts
 * import { hookAnswer } from "./hook_decision.ts";
 * import assert from "node:assert/strict";
 *
 * const answer = hookAnswer("claude-code", "PreToolUse", { action: "deny", reason: "no" });
 * assert.deepEqual(JSON.parse(answer.stdout), {
 *   hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: "no" },
 * });
 * assert.equal(answer.exit, 0);
 * ```
 */
export function hookAnswer(
  agent: HookAgent,
  event: string,
  decision: HookDecision | undefined,
): HookAnswer {
  if (!decision || !answered(decision)) return { stdout: "", exit: 0 };
  const action = decision.action === "hide" ? "deny" : decision.action;
  if (agent === "cursor") {
    return {
      stdout: JSON.stringify({
        permission: action,
        user_message: decision.reason,
        agent_message: decision.reason,
      }),
      exit: 0,
    };
  }
  return {
    stdout: JSON.stringify({
      hookSpecificOutput: {
        hookEventName: event,
        permissionDecision: action,
        permissionDecisionReason: decision.reason,
      },
    }),
    exit: 0,
  };
}
