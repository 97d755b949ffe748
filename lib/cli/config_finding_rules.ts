/**
 * The finding rules a command runs: the built-in rules under the config's
 * `findings` settings (rules off, severities, thresholds, scope), shared by
 * `check` and `summary` so both judge a log as the proxy did.
 *
 * @module
 */
import { UsageError } from "./usage_error.ts";
import type { FindingRule } from "../findings/finding.ts";

/**
 * The rules under the `findings` section of the config at `configPath`
 * (default ./mcp-audit.jsonc if present), or undefined when the config has
 * no such section (the built-in rules apply). A setting that names no rule
 * is a `UsageError` carrying `help`.
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
  const { loadConfig } = await import("../config/config.ts");
  const { config } = await loadConfig(configPath);
  if (config.findings === undefined) return undefined;
  const { configureRules } = await import("../findings/rule_settings.ts");
  try {
    return configureRules(config.findings);
  } catch (error) {
    throw new UsageError((error as Error).message, help);
  }
}
