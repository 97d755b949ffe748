/**
 * Regular expressions given in a config (entities' extractors, redact's
 * patterns, sensitivity's argument rules): what their `flags` mean, the same
 * in every plugin. Flags say what a pattern matches (`d`, `i`, `m`, `s`,
 * `u`, `v`); how it is searched is the plugin's business. So `g` is
 * accepted and ignored (a plugin that wants every match searches for every
 * match itself), and `y` is refused: a sticky expression keeps its place
 * between calls, so the same value would match on one call and not the next.
 *
 * @module
 */
import { z } from "zod";

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
