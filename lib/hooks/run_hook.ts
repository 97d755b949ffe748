/**
 * The hook command's one assembly: the config (the same
 * `assembleAudit` as the proxy's: plugins, redaction key, signing key),
 * the log path, the policy, then {@linkcode recordHook} and the agent's
 * answer. Auditing never breaks the agent: a failure to record becomes a
 * warning and a non-blocking exit status, and a decision stands regardless.
 *
 * @module
 */
import { assembleAudit } from "../session/assembly.ts";
import type { Plugin } from "../plugin/plugin.ts";
import { defaultLogDir, ensureLogDir } from "../log/log_path.ts";
import type { HookCall } from "./hook_input.ts";
import {
  hookAnswer,
  type HookDecision,
  type HookPolicy,
} from "./hook_decision.ts";
import type { Policy } from "../guard/policy.ts";
import { recordHook } from "./record_hook.ts";

/** Options for {@linkcode runHook}. */
export interface RunHookOptions {
  /** The log file. Default: `hooks-<agent>-<session>.jsonl` in the log directory. */
  logPath?: string;
  /** The config file. Default: `./mcp-audit.jsonc` when present. */
  configPath?: string;
  /** Record prompts; overrides the config's `hooks.prompts`. */
  prompts?: boolean;
  /** Plugins compiled into the program. */
  registry?: Readonly<Record<string, Plugin>>;
  /**
   * The guard's policy (`--policy FILE`); replaces the config's `policy`.
   * Without either, the config's deprecated `hooks.deny`/`hooks.ask`
   * class lists stand for one.
   */
  guardPolicy?: Policy;
  /** A policy of another kind, in place of the guard's (tests, embedders). */
  policy?: HookPolicy;
}

/** What the hook prints and exits with. */
export interface HookRun {
  /** For stdout ("" for nothing). */
  stdout: string;
  /** A warning for stderr, when recording failed. */
  warning?: string;
  /** The exit status. */
  exit: number;
  /** The log written. */
  logPath?: string;
}

/**
 * A file name for an agent's session id (which the agent chooses).
 *
 * @example
 * ```ts
 * import { hookLogName } from "./run_hook.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hookLogName("codex", "a/b c"), "hooks-codex-a_b_c.jsonl");
 * ```
 */
export function hookLogName(agent: string, session: string): string {
  return `hooks-${agent}-${
    session.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 120)
  }.jsonl`;
}

/** The guard behind the hook's seam, loaded only when there is a policy (it brings the SQL parser). */
async function hookPolicyOf(
  policy: Policy | undefined,
  lists: { deny?: string[]; ask?: string[] },
): Promise<HookPolicy | undefined> {
  if (!policy && !lists.deny?.length && !lists.ask?.length) return undefined;
  const { classListPolicy, guardHookPolicy } = await import("./hook_guard.ts");
  const chosen = policy ?? classListPolicy(lists);
  return chosen ? guardHookPolicy(chosen) : undefined;
}

/**
 * A guard fails closed: when the config cannot be loaded and holds a
 * `policy` (or `hooks.deny`/`hooks.ask`), a pre-event is denied as with an
 * unusable `--policy` (rule `mcp-audit.policy-unusable`); with `--policy`,
 * that policy decides, on the built-in tool classes. Nothing can be
 * recorded: without the config, its redaction is unknown.
 */
async function unusableConfigDecision(
  call: HookCall,
  error: unknown,
  options: RunHookOptions,
): Promise<HookDecision | undefined> {
  if (call.phase !== "pre") return undefined;
  const { classifyTool } = await import("./tool_class.ts");
  const classing = call.tool !== undefined ? classifyTool(call) : undefined;
  const facts = {
    classes: classing?.classes.map((c) => c.label) ?? [],
    entities: classing?.entities,
  };
  if (options.policy) return options.policy.decide(call, facts);
  if (options.guardPolicy) {
    return (await hookPolicyOf(options.guardPolicy, {}))?.decide(call, facts);
  }
  const file = (error as { path?: unknown }).path;
  if (typeof file !== "string") return undefined;
  const text = await Deno.readTextFile(file).catch(() => "");
  if (!/"(policy|deny|ask)"\s*:/.test(text)) return undefined;
  const { unusablePolicy } = await import("./hook_guard.ts");
  return unusablePolicy(
    file,
    (error as Error).message,
    "the config is fixed",
  ).decide(call, facts);
}

/**
 * Records one hook event and returns the agent's answer.
 *
 * @example
 * ```ts
 * import { runHook } from "./run_hook.ts";
 * import assert from "node:assert/strict";
 *
 * const logPath = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const run = await runHook(
 *   { agent: "claude-code", event: "PreToolUse", phase: "pre", session: "s", tool: "Bash", input: { command: "rm -rf /srv/app" }, callId: "t" },
 *   { logPath, configPath: undefined },
 * );
 * assert.equal(run.exit, 0);
 * assert.equal(run.stdout, "");
 * await Deno.remove(logPath);
 * ```
 */
export async function runHook(
  call: HookCall,
  options: RunHookOptions,
): Promise<HookRun> {
  let audit;
  try {
    audit = await assembleAudit({
      config: options.configPath,
      findConfig: true,
      registry: options.registry,
    });
  } catch (error) {
    const warning = `${
      (error as Error).message
    }; the hook event was not recorded`;
    const decision = await unusableConfigDecision(call, error, options);
    if (!decision) return { stdout: "", exit: 1, warning };
    return { ...hookAnswer(call.agent, call.event, decision), warning };
  }
  const hooks = audit.config.hooks ?? {};
  const logPath = options.logPath ??
    `${audit.config.logDir ?? defaultLogDir()}/${
      hookLogName(call.agent, call.session)
    }`;
  await ensureLogDir(logPath);
  const record = await recordHook(call, {
    logPath,
    processor: audit.pipeline,
    policy: options.policy ??
      await hookPolicyOf(options.guardPolicy ?? audit.config.policy, hooks),
    sealing: {
      signingKey: audit.signingKey,
    },
    prompts: options.prompts ?? hooks.prompts,
    maxPayloadBytes: audit.config.maxPayloadBytes,
  });
  audit.pipeline.close();
  const answer = hookAnswer(call.agent, call.event, record.decision);
  return {
    ...answer,
    logPath,
    ...(record.logError && {
      warning:
        `the hook event was not recorded in "${logPath}": ${record.logError}`,
      exit: answer.stdout ? answer.exit : 1,
    }),
  };
}
