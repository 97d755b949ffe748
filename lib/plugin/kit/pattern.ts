/**
 * Regular expressions given in a config (entities' extractors, redact's
 * patterns, sensitivity's argument rules): what their `flags` mean, the same
 * in every plugin. Flags say what a pattern matches (`d`, `i`, `m`, `s`,
 * `u`, `v`); how it is searched is the plugin's business. So `g` is
 * accepted and ignored (a plugin that wants every match searches for every
 * match itself), and `y` is refused: a sticky expression keeps its place
 * between calls, so the same value would match on one call and not the next.
 * And a pattern must be one that V8's linear-time engine runs (no
 * back-references, lookaheads, group modifiers, flags `u` or `v`; see
 * `linear.ts`), so that no text can make it stall the audit: the plugins'
 * schemas refuse any other with {@linkcode linearPatternIssue}, naming
 * the key, at config load.
 *
 * @module
 */
import { z } from "zod";
import { linearProblem } from "./linear.ts";

/** Options for {@linkcode compilePattern}. */
export interface CompilePatternOptions {
  /**
   * Compile with `g`, for a plugin that goes through every match
   * (`searcher`, `String.prototype.replace`) rather than testing once.
   * @default {false}
   */
  global?: boolean;
}

/**
 * What is wrong with `flags` as the flags of a config's pattern, in a
 * sentence that says what to do; `undefined` when nothing is.
 *
 * @example
 * ```ts
 * import { patternFlagsProblem } from "./pattern.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(patternFlagsProblem("gi"), undefined);
 * assert.match(patternFlagsProblem("iy") ?? "", /flag "y" \(sticky\) is not supported/);
 * assert.match(patternFlagsProblem("ix") ?? "", /not valid regular-expression flags/);
 * ```
 */
export function patternFlagsProblem(flags: string): string | undefined {
  if (flags.includes("y")) {
    return `flag "y" (sticky) is not supported: a sticky expression keeps its place between calls, so the same value would match on one call and not on the next. Remove "y" and anchor the pattern with "^" where it must match at the start`;
  }
  try {
    new RegExp("", flags.replaceAll("g", ""));
  } catch {
    return `"${flags}" are not valid regular-expression flags: use d, i, m, s, u or v, each at most once ("g" is accepted and changes nothing)`;
  }
  return undefined;
}

/**
 * Validates the `flags` of a config's pattern (see
 * {@linkcode patternFlagsProblem}); put it in a plugin's options schema, so
 * a bad flag is reported at config load, naming its key.
 *
 * @example
 * ```ts
 * import { PatternFlagsSchema } from "./pattern.ts";
 * import { z } from "zod";
 * import assert from "node:assert/strict";
 *
 * const rule = z.object({ pattern: z.string(), flags: PatternFlagsSchema.optional() });
 * assert.equal(rule.safeParse({ pattern: "x", flags: "gi" }).success, true);
 * const bad = rule.safeParse({ pattern: "x", flags: "gy" });
 * assert.equal(bad.success, false);
 * assert.deepEqual(bad.error?.issues[0].path, ["flags"]);
 * ```
 */
export const PatternFlagsSchema: z.ZodType<string, string> = z.string()
  .superRefine((flags, context) => {
    const problem = patternFlagsProblem(flags);
    if (problem !== undefined) {
      context.addIssue({ code: "custom", message: problem });
    }
  });

/**
 * Compiles a config's pattern with its flags as {@linkcode PatternFlagsSchema}
 * defines them: `g` only when the plugin asks for it, whatever the config
 * says. Throws a `SyntaxError` naming the problem for a flag the schema
 * would refuse.
 *
 * @example A rule tested once per value gives the same answer every time
 * ```ts
 * import { compilePattern } from "./pattern.ts";
 * import assert from "node:assert/strict";
 *
 * const drop = compilePattern("\\bdrop\\b", "gi");
 * assert.deepEqual([drop.test("DROP x"), drop.test("DROP x"), drop.test("DROP x")], [true, true, true]);
 * assert.equal(compilePattern("\\d+", "i", { global: true }).flags, "gi");
 * assert.throws(() => compilePattern("x", "y"), SyntaxError);
 * ```
 */
export function compilePattern(
  pattern: string,
  flags = "",
  options: CompilePatternOptions = {},
): RegExp {
  const problem = patternFlagsProblem(flags);
  if (problem !== undefined) {
    throw new SyntaxError(`Pattern /${pattern}/${flags}: ${problem}`);
  }
  const meaning = flags.replaceAll("g", "");
  return new RegExp(pattern, options.global ? `${meaning}g` : meaning);
}

/**
 * What is wrong with `pattern` as a config's pattern with `flags`: not a
 * regular expression, or one that cannot be run in linear time (see
 * `linear.ts`); `undefined` when nothing is. Flags are checked by
 * {@linkcode patternFlagsProblem}.
 *
 * @example
 * ```ts
 * import { patternProblem } from "./pattern.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(patternProblem("\\bE\\d{3}\\b"), undefined);
 * assert.match(patternProblem("(a") ?? "", /not a valid regular expression/);
 * assert.match(patternProblem("(\\w+)\\s\\1") ?? "", /back-reference/);
 * ```
 */
export function patternProblem(
  pattern: string,
  flags = "",
): string | undefined {
  try {
    new RegExp(pattern, flags.replace(/[gy]/g, ""));
  } catch (error) {
    return `/${pattern}/ is not a valid regular expression (${
      (error as Error).message
    })`;
  }
  return linearProblem(pattern, flags);
}

/**
 * A zod refinement for an object with a `pattern` (and maybe `flags`): an
 * issue at `pattern` when {@linkcode patternProblem} finds one, so a config
 * names the place. `defaultFlags` are the flags the plugin uses when the
 * object gives none.
 *
 * @example
 * ```ts
 * import { linearPatternIssue } from "./pattern.ts";
 * import { z } from "zod";
 * import assert from "node:assert/strict";
 *
 * const rule = z.object({ pattern: z.string(), flags: z.string().optional() })
 *   .superRefine(linearPatternIssue());
 * assert.equal(rule.safeParse({ pattern: "\\d+" }).success, true);
 * const bad = rule.safeParse({ pattern: "(a)\\1" });
 * assert.deepEqual(bad.error?.issues[0].path, ["pattern"]);
 * ```
 */
export function linearPatternIssue(
  defaultFlags = "",
): (
  value: { pattern: string; flags?: string },
  context: z.RefinementCtx,
) => void {
  return function checkPattern(value, context): void {
    const flags = value.flags ?? defaultFlags;
    if (patternFlagsProblem(flags) !== undefined) return; // Told at `flags`.
    const problem = patternProblem(value.pattern, flags);
    if (problem !== undefined) {
      context.addIssue({ code: "custom", message: problem, path: ["pattern"] });
    }
  };
}
