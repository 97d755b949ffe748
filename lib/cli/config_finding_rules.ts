/**
 * The finding rules a command runs: the built-in rules under the config's
 * `findings` settings (rules off, severities, thresholds, scope), shared by
 * `check` and `summary` so both judge a log as the proxy did.
 *
 * @module
 */
import { UsageError } from "./usage_error.ts";
import type { FindingRule } from "../findings/finding.ts";
import type { Config } from "../config/config.ts";

/**
 * The rules under the `findings` section of the config at `configPath`
 * (default ./mcp-audit.jsonc if present): the built-in rules and those of
 * the config's module plugins (their `findings`, loaded in this thread),
 * or undefined when the config has neither a `findings` section nor a
 * plugin rule (the built-in rules apply). A setting that names no rule is
 * a `UsageError` carrying `help`; so is a plugin that fails to load.
 *
 * @example
 * ```ts
 * import { configFindingRules } from "./config_finding_rules.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".jsonc" });
 * await Deno.writeTextFile(path, JSON.stringify({ findings: { "repeated-call": false } }));
 * const rules = await configFindingRules(path, "help");
 * assert.ok(rules && !rules.some((r) => r.id === "repeated-call"));
 * await Deno.remove(path);
 * ```
 */
export async function configFindingRules(
  configPath: string | undefined,
  help: string,
): Promise<FindingRule[] | undefined> {
  return (await configFindingRuleSet(configPath, help)).rules;
}

/** What {@linkcode configFindingRuleSet} found. */
export interface ConfigFindingRules {
  /** The rules to run, or undefined for the built-in rules as they are. */
  rules?: FindingRule[];
  /** Every rule id known, built-in or a plugin's, switched off or not. */
  known: string[];
}

/**
 * {@linkcode configFindingRules}, with the ids of every rule known (those
 * switched off too), for a `finding:<rule-id>` gate to name.
 *
 * @example
 * ```ts
 * import { configFindingRuleSet } from "./config_finding_rules.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".jsonc" });
 * await Deno.writeTextFile(path, JSON.stringify({ findings: { "repeated-call": false } }));
 * const set = await configFindingRuleSet(path, "help");
 * assert.ok(set.known.includes("repeated-call"));
 * assert.ok(!set.rules?.some((r) => r.id === "repeated-call"));
 * await Deno.remove(path);
 * ```
 */
export async function configFindingRuleSet(
  configPath: string | undefined,
  help: string,
): Promise<ConfigFindingRules> {
  const { loadConfig } = await import("../config/config.ts");
  const { config, path } = await loadConfig(configPath);
  const pluginRules = await moduleRules(config, path, help);
  const { BUILTIN_RULES } = await import("../findings/builtin_rules.ts");
  const all = [...BUILTIN_RULES, ...pluginRules];
  const known = [...new Set(all.map((r) => r.id))];
  if (config.findings === undefined && pluginRules.length === 0) {
    return { known };
  }
  const { configureRules } = await import("../findings/rule_settings.ts");
  try {
    return { rules: configureRules(config.findings, all), known };
  } catch (error) {
    throw new UsageError((error as Error).message, help);
  }
}

/** The finding rules of the config's module plugins (the built-ins have none). */
async function moduleRules(
  config: Config,
  configPath: string | undefined,
  help: string,
): Promise<FindingRule[]> {
  const { BUILTIN_PLUGINS, loadPlugins } = await import(
    "../config/plugin_loader.ts"
  );
  const modules = (config.plugins ?? []).filter((entry) =>
    !(BUILTIN_PLUGINS as readonly string[]).includes(
      typeof entry === "string" ? entry : entry.use,
    )
  );
  if (modules.length === 0) return [];
  let plugins;
  try {
    plugins = await loadPlugins({ ...config, plugins: modules }, {
      configPath,
      inProcess: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, help);
  }
  return plugins.flatMap((p) => [...(p.findings ?? [])]);
}
