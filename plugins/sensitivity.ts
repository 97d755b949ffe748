/**
 * Built-in plugin `sensitivity`: classifies tool calls by name (names and
 * globs from the config) and by argument values (e.g. a `query` containing
 * DROP or DELETE is a WRITE, whatever the tool is called).
 *
 * @module
 */
import { z } from "zod";
import {
  type Assert,
  compilePattern,
  definePlugin,
  type Equals,
  globMatcher,
  linearPatternIssue,
  memoize,
  PatternFlagsSchema,
  type Plugin,
  type PluginFindings,
  searcher,
  walkStrings,
} from "../lib/plugin/kit/mod.ts";

/** A rule on argument values: a label for calls whose arguments match a pattern. */
export interface ArgumentRule {
  /** The label to give, e.g. `WRITE`. */
  label: string;
  /** Only arguments with this key (at any depth); all arguments when absent. */
  key?: string;
  /** A regular expression tested against each string argument value. */
  pattern: string;
  /**
   * Regular expression flags: `d`, `i`, `m`, `s`, `u`, `v`; `g` changes
   * nothing (each value is tested once) and `y` is refused (see the kit's
   * `PatternFlagsSchema`).
   * @default {"i"}
   */
  flags?: string;
  /** Only these tools (names or globs); all tools when absent. */
  tools?: string[];
}

/** Options of the `sensitivity` plugin (the config's `rules`). */
export interface SensitivityOptions {
  /** Tools to tag SENSITIVE: names or globs (`*`, `?`). @default {[]} */
  sensitive?: string[];
  /** Tools to tag WRITE. @default {[]} */
  write?: string[];
  /** Tools to tag READ. @default {[]} */
  read?: string[];
  /** Custom labels: label -> tool names or globs. @default {{}} */
  labels?: Record<string, string[]>;
  /** Rules on argument values. @default {[]} */
  arguments?: ArgumentRule[];
}

const argumentRule = z.object({
  label: z.string().min(1),
  key: z.string().optional(),
  pattern: z.string(),
  flags: PatternFlagsSchema.optional(),
  tools: z.array(z.string()).optional(),
}).strict().superRefine(linearPatternIssue("i"));
/** Validates an {@linkcode ArgumentRule}. */
export const ArgumentRuleSchema: z.ZodType<ArgumentRule, ArgumentRule> =
  argumentRule;

const sensitivityOptions = z.object({
  sensitive: z.array(z.string()).default([]),
  write: z.array(z.string()).default([]),
  read: z.array(z.string()).default([]),
  labels: z.record(z.string(), z.array(z.string())).default({}),
  arguments: z.array(ArgumentRuleSchema).default([]),
}).strict();
/** Validates {@linkcode SensitivityOptions} and fills in the defaults. */
export const SensitivityOptionsSchema: z.ZodType<
  Required<SensitivityOptions>,
  SensitivityOptions
> = sensitivityOptions;

type _SchemasMatchInterfaces = [
  Assert<Equals<z.output<typeof argumentRule>, ArgumentRule>>,
  Assert<Equals<z.input<typeof argumentRule>, ArgumentRule>>,
  Assert<
    Equals<z.output<typeof sensitivityOptions>, Required<SensitivityOptions>>
  >,
  Assert<Equals<z.input<typeof sensitivityOptions>, SensitivityOptions>>,
];

/**
 * Creates the `sensitivity` plugin.
 *
 * @example
 * ```ts
 * import { sensitivityPlugin } from "./sensitivity.ts";
 * import assert from "node:assert/strict";
 *
 * const plugin = sensitivityPlugin({
 *   sensitive: ["get_pay_*"],
 *   arguments: [{ label: "WRITE", key: "query", pattern: "\\b(DROP|DELETE|TRUNCATE)\\b" }],
 * });
 * const context = { event: {} as never, classes: [], entities: [] };
 * assert.deepEqual(
 *   plugin.onToolCall?.({ name: "get_pay_info", arguments: {}, phase: "request" }, context),
 *   { classes: [{ label: "SENSITIVE", source: "tool" }] },
 * );
 * assert.deepEqual(
 *   plugin.onToolCall?.({ name: "run_sql", arguments: { query: "drop table users" }, phase: "request" }, context),
 *   { classes: [{ label: "WRITE", source: "argument:query" }] },
 * );
 * ```
 */
export function sensitivityPlugin(options: SensitivityOptions = {}): Plugin {
  const o = SensitivityOptionsSchema.parse(options);
  const byName: [string, (name: string) => boolean][] = [
    ["SENSITIVE", globMatcher(o.sensitive)],
    ["WRITE", globMatcher(o.write)],
    ["READ", globMatcher(o.read)],
    ...Object.entries(o.labels).map(([label, tools]) =>
      [label, globMatcher(tools)] as [string, (n: string) => boolean]
    ),
  ];
  const argumentRules = o.arguments.map((rule) => ({
    label: rule.label,
    key: rule.key,
    // Searched from the start of each value (the search keeps no place
    // between calls), linear in time on a long one.
    search: searcher(
      compilePattern(rule.pattern, rule.flags ?? "i", { global: true }),
    ),
    tools: rule.tools ? globMatcher(rule.tools) : () => true,
  }));
  type Rule = typeof argumentRules[number];
  // What a tool's name alone decides, and the rules that apply to it; by
  // name, as the same few tools are called again and again.
  const forTool = memoize(
    (name): { found: PluginFindings | undefined; rules: Rule[] } => {
      const classes = byName
        .filter(([, matches]) => matches(name))
        .map(([label]) => Object.freeze({ label, source: "tool" }));
      return {
        found: classes.length > 0
          ? Object.freeze({ classes: Object.freeze(classes) }) as PluginFindings
          : undefined,
        rules: argumentRules.filter((rule) => rule.tools(name)),
      };
    },
  );
  return definePlugin({
    name: "sensitivity",
    onToolCall(call): PluginFindings | undefined {
      if (call.phase !== "request") return;
      const { found, rules } = forTool(call.name);
      if (rules.length === 0) return found;
      // One walk for all rules: each takes the first value it matches.
      const hits: (string | undefined)[] = new Array(rules.length);
      walkStrings(call.arguments, "", (text, key, path) => {
        for (let i = 0; i < rules.length; i++) {
          const rule = rules[i];
          if (
            hits[i] === undefined &&
            (rule.key === undefined || key === rule.key) &&
            rule.search(text, 0) !== null
          ) hits[i] = path();
        }
      });
      const classes: { label: string; source: string }[] = [];
      for (const c of found?.classes ?? []) {
        classes.push(c as { label: string; source: string });
      }
      for (let i = 0; i < rules.length; i++) {
        if (hits[i] !== undefined) {
          classes.push({
            label: rules[i].label,
            source: `argument:${hits[i]}`,
          });
        }
      }
      return classes.length > 0 ? { classes } : undefined;
    },
  });
}
