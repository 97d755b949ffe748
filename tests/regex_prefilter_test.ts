import assert from "node:assert/strict";
import { prefilter, requiredLiterals } from "../lib/regex_prefilter.ts";
import { seeded } from "./_seeded.ts";

/** Patterns users write for extractors and redaction, and some awkward ones. */
const PATTERNS: [string, string, string[]][] = [
  // [source, flags, strings it must match]
  ["\\bE\\d{3}\\b", "", ["E001", "x E999 y"]],
  ["[\\w.+-]+@[\\w-]+\\.[\\w.]+", "", ["ana@example.com"]],
  ["notes/\\d+\\.md", "", ["see notes/12.md"]],
  ["\\b\\d{4}-\\d{2}-\\d{2}\\b", "", ["2026-07-28"]],
  ["\\bACC-\\d{6}\\b", "", ["ACC-123456"]],
  ["\\b\\d{1,3}(?:\\.\\d{1,3}){3}\\b", "", ["10.0.0.1"]],
  ["\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b", "", ["AKIAABCDEFGHIJKLMNOP"]],
  ["\\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}", "", [
    "rk_test_abcdefghijklmnop",
  ]],
  ["colou?r", "", ["color", "colour"]],
  ["emp(?:loyee)?-(\\d+)", "i", ["EMP-1", "Employee-22"]],
  ["ab+c", "", ["abbbc"]],
  ["a{2}b", "", ["aab"]],
  ["x\\u0041y|z\\x42", "", ["xAy", "zB"]],
  ["(?<id>ID)-\\k<id>", "", ["ID-ID"]],
  ["(?=.*secret)token", "", ["token with secret"]],
  ["(?:)", "", ["anything"]],
  ["a|", "", ["b"]],
  ["\\p{Lu}{3}-\\d", "u", ["ABC-1"]],
  ["[\\]a]-\\]b", "", ["]-]b"]],
  ["(?i:abc)d", "", ["ABCd"]],
];

Deno.test("a pre-test never rejects a string its expression matches", () => {
  const rand = seeded(9);
  const alphabet = "aAbBcEeIDKS0123456789-_.@/ \n]|?";
  for (const [source, flags, samples] of PATTERNS) {
    const re = new RegExp(source, flags);
    const may = prefilter(re);
    for (const sample of samples) {
      assert.ok(re.test(sample), `${source} matches ${sample}`);
      assert.ok(may(sample), `${source}: pre-test rejected ${sample}`);
    }
    for (let n = 0; n < 2000; n++) {
      let text = "";
      const length = Math.floor(rand() * 24);
      for (let i = 0; i < length; i++) {
        text += alphabet[Math.floor(rand() * alphabet.length)];
      }
      if (rand() < 0.3) {
        text += samples[Math.floor(rand() * samples.length)];
      }
      if (re.test(text)) {
        assert.ok(
          may(text),
          `${source}: pre-test rejected ${JSON.stringify(text)}`,
        );
      }
    }
  }
});

Deno.test("pre-tests need the literals an extractor cannot match without", () => {
  assert.deepEqual(requiredLiterals("\\bE\\d{3}\\b"), ["E"]);
  assert.deepEqual(requiredLiterals("[\\w.+-]+@[\\w-]+\\.[\\w.]+"), ["@"]);
  assert.deepEqual(requiredLiterals("notes/\\d+\\.md"), ["notes/"]);
  assert.deepEqual(requiredLiterals("\\b\\d{1,3}(?:\\.\\d{1,3}){3}\\b"), ["."]);
  assert.deepEqual(
    requiredLiterals("\\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}"),
    ["_"], // Rarer in text than any letter of "live" or "test".
  );
  assert.deepEqual(requiredLiterals("\\bBearer\\s+\\S+"), ["Bearer"]);
  // Case-insensitive letters are no literal; other characters still are.
  assert.deepEqual(requiredLiterals("emp-\\d+", "i"), ["-"]);
  // Nothing certain: no pre-test.
  assert.equal(requiredLiterals("\\d{4}"), undefined);
  assert.equal(requiredLiterals("a|\\d"), undefined);
  assert.equal(requiredLiterals("(?i:abc)"), undefined);
  assert.equal(requiredLiterals("[a-z]+", "v"), undefined);
  const may = prefilter(/[\w.+-]+@[\w-]+\.[\w.]+/g);
  assert.equal(may("a long text without the sign"), false);
  // A literal whose first character is common is looked for by its rarest.
  const jwt = prefilter(/\beyJ[\w-]+\.[\w-]+/g);
  assert.equal(jwt("eye eye eyes"), false);
  assert.equal(jwt("token eyJhbGciOi.eyJzdWIi"), true);
});
