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
  const source = patterns.map((p) =>
    p.split("").map((c) =>
      c === "*"
        ? ".*"
        : c === "?"
        ? "."
        : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")
    ).join("")
  ).join("|");
  // `s` and `u`: `*` and `?` stand for any character, a line break or an
  // emoji (two UTF-16 units) included, not only what `.` alone matches.
  const re = new RegExp(`^(?:${source})$`, "su");
  return (name: string): boolean => re.test(name);
}
