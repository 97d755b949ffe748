/**
 * Built-in plugin `entities`: extracts the data entities a tool call
 * touched (employee ids, emails, accounts) with regular expressions
 * declared in the config, run over the arguments and the result (nested
 * JSON and text content alike), plus a heuristic for argument keys named
 * like ids (`employee_id` -> type `employee`).
 *
 * @module
 */
import { z } from "zod";
import {
  type Assert,
  compilePattern,
  definePlugin,
  type Equals,
  type FoundEntity,
  groupCount,
  linearPatternIssue,
  memoize,
  PatternFlagsSchema,
  type Plugin,
  type PluginFindings,
  searcher,
  type Span,
  spanSearcher,
  walkStrings,
} from "../lib/plugin/kit/mod.ts";
import { type BuiltinEntities, builtinEntities } from "./_builtin_entities.ts";

export type { BuiltinEntities };

/** One extractor: a regular expression that finds entities of one type. */
export interface Extractor {
  /** The entity type, e.g. `employee`. */
  type: string;
  /** A regular expression; the whole match (or its first group, if any) is the value. */
  pattern: string;
  /** Regular expression flags: `d`, `i`, `m`, `s`, `u`, `v`; every match is found (`g` is implied) and `y` is refused (see the kit's `PatternFlagsSchema`). */
  flags?: string;
  /** Where to look. @default {["arguments","result"]} */
  in?: ("arguments" | "result")[];
  /** Only these tools (names); all tools when absent. */
  tools?: string[];
}

/** Options of the `entities` plugin. */
export interface EntitiesOptions {
  /** The extractors to run. @default {[]} */
  extractors?: Extractor[];
  /** Treat string or number arguments whose key looks like an id (`employee_id`, `userId`) as entities. @default {true} */
  idArguments?: boolean;
  /**
   * The built-in extractors (`path`, `url` and `host`, `email`, `table`):
   * each on unless set to `false`; `false` turns them all off.
   * @default {{}}
   */
  builtins?: false | BuiltinEntities;
}

const extractor = z.object({
  type: z.string().min(1),
  pattern: z.string(),
  flags: PatternFlagsSchema.optional(),
  in: z.array(z.enum(["arguments", "result"])).optional(),
  tools: z.array(z.string()).optional(),
}).strict().superRefine(linearPatternIssue());
/** Validates an {@linkcode Extractor}. */
export const ExtractorSchema: z.ZodType<Extractor, Extractor> = extractor;

const builtinEntitiesOptions = z.object({
  path: z.boolean().optional(),
  url: z.boolean().optional(),
  email: z.boolean().optional(),
  table: z.boolean().optional(),
}).strict();
/** Validates {@linkcode BuiltinEntities}. */
export const BuiltinEntitiesSchema: z.ZodType<
  BuiltinEntities,
  BuiltinEntities
> = builtinEntitiesOptions;

const entitiesOptions = z.object({
  extractors: z.array(ExtractorSchema).default([]),
  idArguments: z.boolean().default(true),
  builtins: z.union([z.literal(false), BuiltinEntitiesSchema]).default({}),
}).strict();
/** Validates {@linkcode EntitiesOptions} and fills in the defaults. */
export const EntitiesOptionsSchema: z.ZodType<
  Required<EntitiesOptions>,
  EntitiesOptions
> = entitiesOptions;

type _SchemasMatchInterfaces = [
  Assert<Equals<z.output<typeof extractor>, Extractor>>,
  Assert<Equals<z.input<typeof extractor>, Extractor>>,
  Assert<Equals<z.output<typeof builtinEntitiesOptions>, BuiltinEntities>>,
  Assert<Equals<z.output<typeof entitiesOptions>, Required<EntitiesOptions>>>,
  Assert<Equals<z.input<typeof entitiesOptions>, EntitiesOptions>>,
];

const ID_KEY = /^(.+?)(?:_id|Id|ID|_ids|Ids)$/;
const MAX_PER_CALL = 500;

/**
 * Creates the `entities` plugin.
 *
 * @example
 * ```ts
 * import { entitiesPlugin } from "./entities.ts";
 * import assert from "node:assert/strict";
 *
 * const plugin = entitiesPlugin({ extractors: [{ type: "employee", pattern: "\\bE\\d{3}\\b" }] });
 * const found = plugin.onToolCall?.({
 *   name: "get_manager", arguments: { employee_id: "E001" }, phase: "response",
 *   result: { content: [{ type: "text", text: "Manager of E001 is E007" }] },
 * }, { event: {} as never, classes: [], entities: [] });
 * // At the response only the result is scanned (the arguments were, at the request).
 * assert.deepEqual(found, { entities: [
 *   { type: "employee", value: "E001", path: "result.content[0].text" },
 *   { type: "employee", value: "E007", path: "result.content[0].text" },
 * ] });
 * ```
 */
export function entitiesPlugin(options: EntitiesOptions = {}): Plugin {
  const o = EntitiesOptionsSchema.parse(options);
  const extractors = o.extractors.map((x) => {
    const re = compilePattern(x.pattern, x.flags, { global: true });
    return {
      type: x.type,
      // Most strings lack the text a pattern needs: the search skips them
      // unscanned, and tries the pattern only where a match could start.
      search: searcher(re),
      // Without a group the value is the whole match: found as a span, it
      // is copied out only when it is new.
      spanSearch: groupCount(re.source, re.flags) === 0
        ? spanSearcher(re)
        : undefined,
      args: (x.in ?? ["arguments", "result"]).includes("arguments"),
      result: (x.in ?? ["arguments", "result"]).includes("result"),
      tools: x.tools ? new Set(x.tools) : undefined,
    };
  });
  type Compiled = typeof extractors[number];
  // The extractors for arguments and for results, per tool when some are
  // limited to tools (bounded, as tool names come from the traffic).
  const perTool = (all: Compiled[]): (tool: string) => Compiled[] =>
    extractors.some((x) => x.tools)
      ? memoize((tool) => all.filter((x) => !x.tools || x.tools.has(tool)))
      : () => all;
  const active = {
    args: perTool(extractors.filter((x) => x.args)),
    result: perTool(extractors.filter((x) => x.result)),
  };
  // The entity type an argument key names (`employee_id` -> `employee`), by key.
  const idType = memoize((key): string | null => {
    const m = ID_KEY.exec(key);
    return m ? m[1].replace(/_/g, "-").toLowerCase() : null;
  });
  const builtins = o.builtins === false ||
      (["path", "url", "email", "table"] as const).every((k) =>
        (o.builtins as BuiltinEntities)[k] === false
      )
    ? undefined
    : o.builtins;
  // Reused by every search: where the last match lies.
  const span: Span = { start: 0, end: 0 };
  return definePlugin({
    name: "entities",
    onToolCall(call): PluginFindings | undefined {
      const found: FoundEntity[] = [];
      // Keys of what was found, once there is too much to compare one by one.
      let seen: Set<string> | undefined;
      /** Whether `type` and `value` were found already, and notes them if not. */
      const known = (type: string, value: string): boolean => {
        if (seen === undefined) {
          for (let i = 0; i < found.length; i++) {
            if (found[i].value === value && found[i].type === type) return true;
          }
          if (found.length < SMALL) return false;
          seen = new Set(found.map(foundKey));
        }
        const key = foundKey({ type, value });
        if (seen.has(key)) return true;
        seen.add(key);
        return false;
      };
      const add = (type: string, value: string, path: () => string): void => {
        if (found.length >= MAX_PER_CALL || known(type, value)) return;
        found.push({ type, value, path: path() });
      };
      /** Whether the text at `start` to `end` was found already as `type`. */
      const foundAt = (
        type: string,
        text: string,
        start: number,
        end: number,
      ): boolean => {
        if (seen !== undefined) return false;
        for (let i = 0; i < found.length; i++) {
          const f = found[i];
          if (
            f.type === type && f.value.length === end - start &&
            text.startsWith(f.value, start)
          ) return true;
        }
        return false;
      };
      const scan = (
        value: unknown,
        root: string,
        which: "args" | "result",
      ): void => {
        const applicable = active[which](call.name);
        const ids = which === "args" && o.idArguments;
        if (applicable.length === 0 && !ids && !builtins) return;
        walkStrings(value, root, (text, key, path) => {
          if (builtins) {
            builtinEntities(
              text,
              key,
              which,
              builtins,
              (type, v) => add(type, v, path),
            );
          }
          if (ids && key !== undefined && text !== "") {
            const type = idType(key);
            if (type !== null) add(type, text, path);
          }
          for (let i = 0; i < applicable.length; i++) {
            const x = applicable[i];
            let at = 0;
            if (x.spanSearch !== undefined) {
              while (x.spanSearch(text, at, span)) {
                const { start, end } = span;
                if (start === end) {
                  at = start + 1;
                  continue;
                }
                at = end;
                if (!foundAt(x.type, text, start, end)) {
                  add(x.type, text.slice(start, end), path);
                }
              }
              continue;
            }
            let match: RegExpExecArray | null;
            while ((match = x.search(text, at)) !== null) {
              if (match[0] === "") at = match.index + 1;
              else {
                at = match.index + match[0].length;
                add(x.type, match[1] ?? match[0], path);
              }
            }
          }
        });
      };
      // Arguments are scanned at the request, results at the response.
      if (call.phase === "request") scan(call.arguments, "arguments", "args");
      else if (call.result !== undefined) scan(call.result, "result", "result");
      else if (call.error) scan(call.error, "error", "result");
      return found.length > 0 ? { entities: found } : undefined;
    },
  });
}

/** Up to this many found entities, duplicates are looked for one by one. */
const SMALL = 16;

/** What makes two found entities one: their type and value. */
function foundKey(e: { type: string; value: string }): string {
  return JSON.stringify([e.type, e.value]);
}
