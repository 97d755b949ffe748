/**
 * The plugin kit: everything a classifier plugin is written with, and all
 * that the built-in plugins (`plugins/`) import besides npm packages. A
 * plugin of your own can be written exactly as ours are, from this module
 * alone (`@mcp-audit/mcp-audit/plugin-kit`).
 *
 * - {@linkcode definePlugin} and the plugin types: what a plugin is, what
 *   its hooks see and what they return.
 * - {@linkcode walkStrings}: every string in nested arguments or results,
 *   with its key and path.
 * - {@linkcode globMatcher}: tool names and globs (`get_*`) as one test.
 * - {@linkcode memoize}: a bounded memory for what a plugin decides by a
 *   tool name or path, which recur in every event.
 * - {@linkcode searcher}, {@linkcode spanSearcher}, {@linkcode prefilter}
 *   and {@linkcode groupCount}: regular-expression searches that skip the
 *   strings that cannot match, cheaply.
 * - {@linkcode PatternFlagsSchema} and {@linkcode compilePattern}: what
 *   regular-expression flags from a config mean, the same in every plugin.
 * - {@linkcode linearPatternIssue}, {@linkcode linearTwin} and the rest of
 *   `linear.ts`: patterns under a linear-time guarantee, refused at config
 *   load when they cannot have it.
 * - {@linkcode spendBudget}: a long loop in a hook gives up when the hook's
 *   time budget is spent ({@linkcode BudgetExceededError}).
 * - {@linkcode defineFindingRule} and the finding types: a plugin's own
 *   finding rules (its `findings`), run by `report`, `summary` and `check`
 *   beside the built-in ones.
 * - `Assert` and `Equals`: compile-time checks that an options interface
 *   and its zod schema agree.
 *
 * @example A plugin that tags calls whose arguments mention a ledger
 * ```ts
 * import { definePlugin, globMatcher, searcher, walkStrings } from "./mod.ts";
 * import type { PluginFindings } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const finance = globMatcher(["ledger_*", "post_entry"]);
 * const search = searcher(/\bledger\b/gi);
 * const ledger = definePlugin({
 *   name: "ledger",
 *   onToolCall(call): PluginFindings | undefined {
 *     if (call.phase !== "request") return undefined;
 *     if (finance(call.name)) return { classes: ["FINANCE"] };
 *     let hit: string | undefined;
 *     walkStrings(call.arguments, "arguments", (text, _key, path) => {
 *       if (hit === undefined && search(text, 0) !== null) hit = path();
 *     });
 *     return hit === undefined ? undefined : { classes: [{ label: "FINANCE", source: hit }] };
 *   },
 * });
 * const context = { event: {} as never, classes: [], entities: [] };
 * assert.deepEqual(
 *   ledger.onToolCall?.({ name: "ledger_read", arguments: {}, phase: "request" }, context),
 *   { classes: ["FINANCE"] },
 * );
 * assert.deepEqual(
 *   ledger.onToolCall?.({ name: "note", arguments: { text: ["see the Ledger"] }, phase: "request" }, context),
 *   { classes: [{ label: "FINANCE", source: "arguments.text[0]" }] },
 * );
 * ```
 *
 * @module
 */
export {
  definePlugin,
  type FoundEntity,
  type HookContext,
  type HookResult,
  type Plugin,
  type PluginFindings,
  type ToolCall,
} from "../plugin.ts";
export type {
  Classification,
  Entity,
  JsonRpcMessageEvent,
} from "../../audit/event.ts";
export type { Schema } from "../../audit/schema.ts";
export { walkStrings } from "./json_walk.ts";
export { globMatcher } from "./glob.ts";
export { memoize } from "./memo.ts";
export {
  groupCount,
  type Prefilter,
  prefilter,
  type Search,
  searcher,
  type Span,
  type SpanSearch,
  spanSearcher,
} from "./regex_prefilter.ts";
export {
  compilePattern,
  type CompilePatternOptions,
  linearPatternIssue,
  patternFlagsProblem,
  PatternFlagsSchema,
  patternProblem,
} from "./pattern.ts";
export {
  caseFolded,
  LINEAR_ABOVE,
  linearEngineAvailable,
  linearProblem,
  linearTwin,
} from "./linear.ts";
export { BudgetExceededError, spendBudget } from "./budget.ts";
export { defineFindingRule } from "./finding_rule.ts";
export type {
  Finding,
  FindingEntity,
  FindingRule,
  Severity,
} from "../../findings/finding.ts";
export type {
  SessionCalls,
  SessionMessage,
  ToolCall as SessionToolCall,
  ToolHints,
} from "../../findings/session_calls.ts";
export type { Assert, Equals } from "../../util/_type_check.ts";
