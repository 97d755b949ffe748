/**
 * A guard's decision on a tool call -> what the agent's hook protocol
 * expects on stdout and as the exit status. The policy that decides is a
 * seam ({@linkcode HookPolicy}): the guard mode's engine plugs in there;
 * until then {@linkcode classPolicy} decides by class from the config's
 * `hooks.deny` and `hooks.ask` lists.
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
  /** The rule that decided. */
  ruleId?: string;
}

/** Decides on a classified tool call; undefined when no rule applies. */
export interface HookPolicy {
  /** The decision on `call`, whose classes are `classes`. */
  decide(call: HookCall, classes: readonly string[]): HookDecision | undefined;
}

/** What the hook prints and exits with. */
export interface HookAnswer {
  /** Text for stdout ("" for none). */
  stdout: string;
  /** The exit status. */
  exit: number;
}

/**
 * A policy from class lists: a call with a class in `deny` is denied, one
 * in `ask` is asked about. The stand-in until the guard engine's
 * `decide(call)` is wired here.
 *
 * @example
 * ```ts
 * import { classPolicy } from "./hook_decision.ts";
 * import assert from "node:assert/strict";
 *
 * const policy = classPolicy({ deny: ["DESTRUCTIVE"] });
 * const call = { agent: "codex", event: "PreToolUse", phase: "pre", session: "s" } as const;
 * assert.equal(policy.decide(call, ["DESTRUCTIVE", "WRITE"])?.action, "deny");
 * assert.equal(policy.decide(call, ["READ"]), undefined);
 * ```
 */
export function classPolicy(
  rules: { deny?: string[]; ask?: string[] },
): HookPolicy {
  return {
    decide: function decideByClass(call, classes): HookDecision | undefined {
      for (const action of ["deny", "ask"] as const) {
        const hit = classes.find((c) => rules[action]?.includes(c));
        if (hit) {
          return {
            action,
            ruleId: `hooks.${action}:${hit}`,
            reason: `mcp-audit: ${
              call.tool ?? "this tool"
            } is ${hit}, and hooks.${action} in the mcp-audit config lists ${hit}`,
          };
        }
      }
      return undefined;
    },
  };
}

/**
 * The agent's answer to a pre-event with `decision` (none: silence).
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
  if (!decision) return { stdout: "", exit: 0 };
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
