import assert from "node:assert/strict";
import { globMatcher } from "../../../lib/plugin/kit/glob.ts";

Deno.test("a name without wildcards matches only itself, the whole name", () => {
  const matches = globMatcher(["get_pay_info"]);
  assert.ok(matches("get_pay_info"));
  assert.ok(!matches("get_pay_info_v2"));
  assert.ok(!matches("x_get_pay_info"));
  assert.ok(!matches("get_pay"));
  assert.ok(!matches(""));
});

Deno.test("an empty list matches no name, not even the empty one", () => {
  const matches = globMatcher([]);
  assert.ok(!matches(""));
  assert.ok(!matches("anything"));
});

Deno.test("* matches any run of characters, the empty run included, anywhere in the glob", () => {
  const matches = globMatcher(["submit_*"]);
  assert.ok(matches("submit_"));
  assert.ok(matches("submit_time_off"));
  assert.ok(!matches("resubmit_time_off"));
  const middle = globMatcher(["get_*_info"]);
  assert.ok(
    matches("submit_a") && middle("get__info") && middle("get_pay_info"),
  );
  assert.ok(!middle("get_pay_infos"));
  assert.ok(globMatcher(["*"])(""));
  assert.ok(globMatcher(["*"])("any.tool-name"));
});

Deno.test("? matches exactly one character", () => {
  const matches = globMatcher(["delete_?ow"]);
  assert.ok(matches("delete_row"));
  assert.ok(matches("delete_cow"));
  assert.ok(!matches("delete_ow"));
  assert.ok(!matches("delete_brow"));
});

Deno.test("* and ? stand for any character: a line break, and an emoji as one character", () => {
  assert.ok(globMatcher(["x*"])("x\ny"));
  assert.ok(globMatcher(["a?c"])("a\nc"));
  assert.ok(globMatcher(["a?"])("a😀"), "an emoji is one character");
  assert.ok(!globMatcher(["a??"])("a😀"));
});

Deno.test("regular-expression syntax in a glob is literal", () => {
  for (
    const name of [
      "a.b",
      "a+b",
      "(a)",
      "[ab]",
      "a|b",
      "^a$",
      "a{2}",
      "a\\b",
      "$",
    ]
  ) {
    assert.ok(globMatcher([name])(name), `"${name}" matches itself`);
  }
  assert.ok(!globMatcher(["a.b"])("axb"), ". is a dot");
  assert.ok(!globMatcher(["[ab]"])("a"), "[ab] is not a class");
  assert.ok(!globMatcher(["a|b"])("a"), "| is not an alternative");
  assert.ok(!globMatcher(["a{2}"])("aa"), "{2} is not a count");
  assert.ok(
    globMatcher(["a\\*"])("a\\anything"),
    "a backslash does not escape *",
  );
  assert.ok(!globMatcher(["a\\*"])("a*"));
});

Deno.test("a list matches a name that any of its globs matches, and each glob is anchored alone", () => {
  const matches = globMatcher(["read_*", "get_pay_info", "*_export"]);
  assert.ok(matches("read_file"));
  assert.ok(matches("get_pay_info"));
  assert.ok(matches("csv_export"));
  assert.ok(!matches("write_file"));
  // Joined into one expression, a glob must not leak into its neighbours.
  assert.ok(!matches("get_pay_info_x"));
  assert.ok(!matches("x_read_file"));
  assert.ok(!globMatcher(["a", "b"])("ab"));
});
