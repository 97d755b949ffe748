/**
 * Tool-name globs for rules: `*` matches any run of characters, `?` one
 * character (a code point, so an emoji is one); everything else is literal,
 * and a glob matches the whole name.
 *
 * @module
 */

/**
 * Compiles a list of names and globs into one matcher.
 *
 * @example
 * ```ts
 * import { globMatcher } from "./glob.ts";
 * import assert from "node:assert/strict";
 *
 * const isWrite = globMatcher(["submit_*", "delete_?ow", "drop_table"]);
 * assert.ok(isWrite("submit_time_off"));
 * assert.ok(isWrite("delete_row"));
 * assert.ok(!isWrite("get_pay_info"));
 * ```
 */
export function globMatcher(
  patterns: readonly string[],
): (name: string) => boolean {
  if (patterns.length === 0) return () => false;
  const names = new Set(patterns.filter((p) => !/[*?]/.test(p)));
  // Each glob as code points, so `?` takes an emoji (two UTF-16 units) whole.
  const globs = patterns.filter((p) => /[*?]/.test(p)).map((p) => [...p]);
  return function matchesGlob(name: string): boolean {
    if (names.has(name)) return true;
    if (globs.length === 0) return false;
    const text = [...name];
    for (const glob of globs) if (wildcard(glob, text)) return true;
    return false;
  };
}

/**
 * Whether `glob` matches all of `text`. Not a regular expression: `a*b*c*d`
 * as `^a.*b.*c.*d$` backtracks in time polynomial in a long name's length.
 * This is the greedy match that, on a mismatch, lets the last `*` take one
 * more character and tries again: at most glob length times name length
 * steps.
 */
function wildcard(glob: string[], text: string[]): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (g < glob.length && (glob[g] === "?" || glob[g] === text[t])) {
      g++;
      t++;
    } else if (g < glob.length && glob[g] === "*") {
      star = g++;
      mark = t;
    } else if (star >= 0) {
      g = star + 1;
      t = ++mark;
    } else return false;
  }
  while (g < glob.length && glob[g] === "*") g++;
  return g === glob.length;
}
