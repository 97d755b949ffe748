/**
 * The guard mode's policy (lib/guard) behind the hook's
 * {@linkcode HookPolicy} seam: the same rules decide an agent's built-in
 * tool calls as decide the proxy's MCP calls. A hook call is a `tools/call`
 * of `call.tool` (`Bash`, `Edit`, `mcp__github__create_issue`), its
 * arguments the tool's input, its classes and entities those the built-in
 * tool rules and the config's plugins gave it; its server names are the
 * agent (`claude-code`, `cursor`, `codex`) and, for an MCP tool, the MCP
 * server's name, so a rule's `server` can pick an agent or a server.
 *
 * Each hook event is its own process, so a rule's `rate` counts only the
 * calls of that one process: rate rules never match here.
 *
 * @module
 */
import type { Policy, PolicyRule } from "../guard/policy.ts";
import { Guard } from "../guard/guard.ts";
import type { HookCall } from "./hook_input.ts";
import type { HookDecision, HookFacts, HookPolicy } from "./hook_decision.ts";

/**
 * A {@linkcode HookPolicy} that decides by the guard's `policy`.
 *
 * @example The rule, on a destructive shell command
 * ```ts
 * import { guardHookPolicy } from "./hook_guard.ts";
 * import assert from "node:assert/strict";
 *
 * const policy = guardHookPolicy({
 *   mode: "enforce",
 *   rules: [{ id: "no-rm", class: "DESTRUCTIVE", action: "deny", reason: "No destructive commands" }],
 * });
 * const call = { agent: "claude-code", event: "PreToolUse", phase: "pre", session: "s", tool: "Bash", input: { command: "rm -rf /srv/app" } } as const;
 * const d = policy.decide(call, { classes: ["DESTRUCTIVE", "WRITE"] });
 * assert.deepEqual([d?.action, d?.ruleId, d?.reason, d?.mode], ["deny", "no-rm", "No destructive commands", "enforce"]);
 * assert.equal(policy.decide(call, { classes: ["READ"] })?.ruleId, undefined);
 * ```
 */
export function guardHookPolicy(policy: Policy): HookPolicy {
  const guard = new Guard(policy);
  return {
    decide: function decideByGuard(
      call: HookCall,
      facts: HookFacts,
    ): HookDecision {
      const mcp = call.tool?.startsWith("mcp__")
        ? call.tool.split("__")[1]
        : undefined;
      const d = guard.check({
        method: "tools/call",
        tool: call.tool,
        server: mcp ? [call.agent, mcp] : [call.agent],
        classes: [...facts.classes],
        arguments: call.input ?? {},
        entities: facts.entities?.map((e) => ({
          type: e.type,
          value: e.value,
        })),
        time: new Date(),
      });
      return {
        action: d.action,
        reason: d.reason,
        mode: d.mode,
        ...(d.rule !== undefined && { ruleId: d.rule }),
      };
    },
  };
}

/**
 * The config's old `hooks.deny` and `hooks.ask` class lists (deprecated:
 * write a `policy` instead) as the policy they stand for: one enforced rule
 * per class, `hooks.deny:<CLASS>` or `hooks.ask:<CLASS>`, deny first.
 * Undefined when both lists are empty.
 *
 * @example
 * ```ts
 * import { classListPolicy } from "./hook_guard.ts";
 * import assert from "node:assert/strict";
 *
 * const policy = classListPolicy({ deny: ["DESTRUCTIVE"], ask: ["OPEN_WORLD"] });
 * assert.deepEqual(policy?.rules.map((r) => [r.id, r.action]), [
 *   ["hooks.deny:DESTRUCTIVE", "deny"],
 *   ["hooks.ask:OPEN_WORLD", "ask"],
 * ]);
 * assert.equal(classListPolicy({}), undefined);
 * ```
 */
export function classListPolicy(
  lists: { deny?: string[]; ask?: string[] },
): Policy | undefined {
  const rules: PolicyRule[] = [];
  for (const action of ["deny", "ask"] as const) {
    for (const label of lists[action] ?? []) {
      rules.push({
        id: `hooks.${action}:${label}`,
        class: label,
        action,
        reason:
          `mcp-audit: the call is ${label}, and hooks.${action} in the mcp-audit config lists ${label}`,
      });
    }
  }
  return rules.length ? { mode: "enforce", rules } : undefined;
}

/**
 * The policy that stands in for a guard policy that could not be loaded:
 * a guard fails closed, so every pre-event is denied (enforced, rule
 * `mcp-audit.policy-unusable`) with a reason that names the file and the
 * problem, and the denial is sealed in the log like any other. `fix`
 * ends the reason: what makes the calls go through again.
 *
 * @example
 * ```ts
 * import { unusablePolicy } from "./hook_guard.ts";
 * import assert from "node:assert/strict";
 *
 * const policy = unusablePolicy("/p/policy.json", "not found");
 * const call = { agent: "codex", event: "PreToolUse", phase: "pre", session: "s", tool: "Bash", input: { command: "ls" } } as const;
 * const d = policy.decide(call, { classes: ["READ"] });
 * assert.equal(d?.action, "deny");
 * assert.equal(d?.ruleId, "mcp-audit.policy-unusable");
 * assert.match(d?.reason ?? "", /\/p\/policy\.json.*not found/);
 * ```
 */
export function unusablePolicy(
  file: string,
  problem: string,
  fix = "it is fixed or --policy is removed from the hook command",
): HookPolicy {
  // The loader's headline lines, without its code frames (the model reads this).
  const headline = problem.split("\n").filter((l) => l && !/^\s/.test(l))
    .slice(0, 2).join(" ");
  const reason =
    `mcp-audit: the guard policy ${file} cannot be used (${headline}), so every tool call is denied until ${fix}`;
  return {
    decide: function denyAll(): HookDecision {
      return {
        action: "deny",
        reason,
        mode: "enforce",
        ruleId: "mcp-audit.policy-unusable",
      };
    },
  };
}
