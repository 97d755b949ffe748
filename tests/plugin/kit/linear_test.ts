import assert from "node:assert/strict";
import {
  caseFolded,
  LINEAR_ABOVE,
  linearEngineAvailable,
  linearProblem,
  linearTwin,
} from "../../../lib/plugin/kit/linear.ts";
import { searcher } from "../../../lib/plugin/kit/regex_prefilter.ts";
import { pick, seeded } from "../../_seeded.ts";

Deno.test("the tests run with V8's linear-time engine, as mcp-audit does", () => {
  assert.equal(linearEngineAvailable(), true);
});

Deno.test("a case-folded pattern matches without flag i exactly what the pattern matches with it", () => {
  const rand = seeded(15);
  const atoms = [
    "a",
    "B",
    "k",
    "s",
    "x",
    "é",
    "É",
    "ß",
    "ſ",
    "σ",
    "Σ",
    "ς",
    "\\u212a",
    "\\x41",
    "\\.",
    ".",
    "\\w",
    "\\d",
    "[a-c]",
    "[^k]",
    "[A-Z_]",
    "[^a-z]",
    "[\\u00e0-\\u00ff]",
    "[ſ]",
    "(?:ab|c)",
    "(?:e)",
  ];
  const chars = [..."aAbBcCeEkKsSxXéÉßſσΣς_.1 \u212a"];
  for (let t = 0; t < 3000; t++) {
    let source = "";
    for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) {
      source += pick(rand, atoms) + (rand() < 0.25 ? "+" : "");
    }
    const caseless = new RegExp(`^(?:${source})$`, "i");
    const folded = new RegExp(`^(?:${caseFolded(source)})$`);
    for (let q = 0; q < 20; q++) {
      let text = "";
      for (let k = 1 + Math.floor(rand() * 5); k > 0; k--) {
        text += pick(rand, chars);
      }
      assert.equal(
        folded.test(text),
        caseless.test(text),
        `/${source}/i on ${JSON.stringify(text)}`,
      );
    }
  }
});

Deno.test("on a text too long for the backtracking engine, a search finds what exec finds, by the linear twin", () => {
  const rand = seeded(16);
  const patterns = [
    /\bE\d{3}\b/g,
    /[\w.+-]+@[\w-]+\.[\w.]+/g,
    /\bledger\b/gi,
    /(a+)+b/g,
    /\b\d{4}-\d{2}-\d{2}\b/g,
    /x(?:yz?)*y/g,
  ];
  const words = [
    "a",
    "aa",
    "b",
    "E123",
    "ledger",
    "LEDGER",
    "x",
    "yz",
    "y",
    "@",
    "q.",
    "2026-07-28",
    " ",
    "-",
  ];
  for (const re of patterns) {
    assert.ok(linearTwin(re), `${re} has a twin`);
    const search = searcher(re);
    for (let t = 0; t < 10; t++) {
      let text = "";
      while (text.length <= LINEAR_ABOVE * 2) text += pick(rand, words);
      const want = [...text.matchAll(new RegExp(re.source, re.flags))].map((
        m,
      ) => `${m.index}:${m[0]}`);
      const got: string[] = [];
      for (
        let m = search(text, 0);
        m;
        m = search(text, m.index + Math.max(m[0].length, 1))
      ) {
        got.push(`${m.index}:${m[0]}`);
      }
      assert.deepEqual(got, want, String(re));
    }
  }
});

Deno.test("patterns the linear-time engine cannot run are named with the reason and the fix", () => {
  assert.match(
    linearProblem("(\\w+) \\1")!,
    /back-reference .* Match the repeated text/,
  );
  assert.match(linearProblem("(?<w>a)\\k<w>")!, /back-reference/);
  for (const look of ["a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b"]) {
    assert.match(linearProblem(look)!, /lookaround/, look);
  }
  assert.match(linearProblem("(?i:a)b")!, /group modifier/);
  assert.match(linearProblem("\\p{L}", "u")!, /flag "u"/);
  assert.match(linearProblem("[a]", "v")!, /flag "v"/);
  for (const ok of ["(a+)+$", "[(?=]", "\\(?=", "(?<name>x)", "a{2,}"]) {
    assert.equal(linearProblem(ok, "i"), undefined, ok);
  }
});
