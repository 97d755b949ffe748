import assert from "node:assert/strict";
import {
  anchorLiterals,
  minMatchLength,
  prefilter,
  requiredLiterals,
  searcher,
  spanSearcher,
} from "../../../lib/plugin/kit/regex_prefilter.ts";
import { pick, randomText, seeded } from "../../_seeded.ts";

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
      let text = randomText(rand, alphabet, 24);
      if (rand() < 0.3) {
        text += pick(rand, samples);
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

/** Every match of `re` in `text`, as a global exec loop finds them. */
function execAll(re: RegExp, text: string): string[] {
  const g = new RegExp(
    re.source,
    re.flags.includes("g") ? re.flags : `${re.flags}g`,
  );
  const out: string[] = [];
  let m: RegExpExecArray | null;
  while ((m = g.exec(text)) !== null) {
    out.push(`${m.index}:${JSON.stringify([...m])}`);
    if (m[0] === "") g.lastIndex++;
  }
  return out;
}

/** Every match `searcher(re)` finds in `text`, searching on from each match's end. */
function searchAll(re: RegExp, text: string): string[] {
  const search = searcher(re);
  const out: string[] = [];
  let at = 0;
  let m: RegExpExecArray | null;
  while ((m = search(text, at)) !== null) {
    out.push(`${m.index}:${JSON.stringify([...m])}`);
    at = m.index + (m[0] === "" ? 1 : m[0].length);
  }
  return out;
}

/** Every match `spanSearcher(re)` finds in `text`, as index and text. */
function spanAll(re: RegExp, text: string): string[] {
  const search = spanSearcher(re);
  const span = { start: -1, end: -1 };
  const out: string[] = [];
  let at = 0;
  while (search(text, at, span)) {
    out.push(
      `${span.start}:${JSON.stringify(text.slice(span.start, span.end))}`,
    );
    at = span.start === span.end ? span.start + 1 : span.end;
  }
  return out;
}

/** {@linkcode execAll} as index and whole match only, as spans are. */
function execSpans(re: RegExp, text: string): string[] {
  return execAll(re, text).map((m) => {
    const [index, groups] = [
      m.slice(0, m.indexOf(":")),
      m.slice(m.indexOf(":") + 1),
    ];
    return `${index}:${JSON.stringify(JSON.parse(groups)[0])}`;
  });
}

/** Patterns with literals at fixed offsets, and some that only look so. */
const SEARCHED: [string, string, string[]][] = [
  ...PATTERNS,
  ["\\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\b", "", [
    "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
  ]],
  ["\\bledger\\b", "", ["a ledger", "ledger-ledger"]],
  ["\\bQ[1-4]\\b", "", ["Q1 Q4"]],
  ["\\b[A-Z]{2,5}-\\d{2,6}\\b", "", ["AB-12"]],
  ["\\b\\d{3}-\\d{2}-\\d{4}\\b", "", ["123-45-6789"]],
  ["\\bxox[abposr]-[A-Za-z0-9-]{10,}", "", ["xoxb-0123456789"]],
  ["\\bBearer\\s+[A-Za-z0-9._~+/-]{16,}=*", "", ["Bearer abcdefghijklmnop=="]],
  ["(?<=\\d)-\\d", "", ["1-2"]],
  ["(?<!a)b-c", "", ["b-c"]],
  ["(?=ab)a.c-", "", ["abc-"]],
  ["a\\bb|c", "", ["c"]],
  ["(?:ab){2}-x", "", ["abab-x"]],
  ["(?:a|bc)-d", "", ["a-d", "bc-d"]],
  ["x(?<n>y)z-", "", ["xyz-"]],
  ["^ab-", "m", ["ab-", "x\nab-"]],
  ["b-$", "m", ["ab-\nx"]],
  ["a{0}b-", "", ["b-"]],
  ["\\x41-\\u0042", "", ["A-B"]],
  ["\\d\\d\\.\\d", "", ["12.3"]],
  ["-(\\d)?-", "", ["--", "-1-"]],
  ["[^]-", "", ["a-"]],
  ["(a)\\1-", "", ["aa-"]],
  ["E-.{0,3}-", "s", ["E--", "E-\n\n-"]],
  ["--", "", ["---", "----"]],
  ["a-a", "", ["a-a-a"]],
  ["-\\b", "", ["-a"]],
  ["(?:)-", "", ["-"]],
  // Runs of one-character atoms: decided by the checks alone on ASCII text.
  ["\\bE\\d{3}\\b", "", ["E001", "\u00e9E001"]],
  ["\\B-\\d\\d\\B", "", ["--12b"]],
  ["\\b\\w-.\\W", "s", ["a-\n!", "a-é!"]],
  ["[^a-c]-[é\\d]", "", ["d-é", "é-1"]],
  ["\\s-\\S\\b", "", [" -x", "\u00a0-x"]],
  ["ab\\bc-", "", []],
  // Groups repeated a fixed number of times, written out by the search.
  ["(?:a|bc){2}-", "", ["abc-", "bca-"]],
  ["(?:(x)y){2}-", "", ["xyxy-"]],
  ["(?:\\d[ -]?){3}\\d", "", ["1 2-34"]],
  ["x(?:y|){3}?z", "", ["xyyz", "xz"]],
  ["\\bab-", "", ["ab-", "éab-"]],
];

Deno.test("a search, and a search by spans, find exactly the matches a global exec loop finds", () => {
  const rand = seeded(11);
  const alphabet = "aAbBcdEefQxyz0123456789-_.@/ \n]|?ACKledgrBearsk";
  const words = [
    "ledger",
    "Bearer ",
    "sk-",
    "2026-07-28",
    "-",
    "ACC-",
    "E0",
    "é",
    "\u00a0",
    "\u0663",
  ];
  for (const [source, flags, samples] of SEARCHED) {
    const re = new RegExp(source, flags);
    for (const sample of samples) {
      assert.ok(re.test(sample), `${source} matches ${sample}`);
      assert.deepEqual(searchAll(re, sample), execAll(re, sample), source);
      assert.deepEqual(spanAll(re, sample), execSpans(re, sample), source);
    }
    for (let n = 0; n < 1500; n++) {
      let text = "";
      const length = Math.floor(rand() * 40);
      while (text.length < length) {
        text += rand() < 0.2
          ? pick(rand, words)
          : rand() < 0.2
          ? pick(rand, samples)
          : pick(rand, alphabet);
      }
      assert.deepEqual(
        searchAll(re, text),
        execAll(re, text),
        `${source}: ${JSON.stringify(text)}`,
      );
      assert.deepEqual(
        spanAll(re, text),
        execSpans(re, text),
        `${source} (spans): ${JSON.stringify(text)}`,
      );
    }
  }
});

Deno.test("a search looks for the literals every match holds at a fixed offset", () => {
  assert.deepEqual(anchorLiterals("\\bledger\\b"), [[0, "ledger"]]);
  assert.deepEqual(
    anchorLiterals(
      "\\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\b",
    ),
    [[8, "-"], [13, "-"], [18, "-"], [23, "-"]],
  );
  assert.deepEqual(anchorLiterals("\\b\\d{4}-\\d{2}-\\d{2}\\b"), [
    [4, "-"],
    [7, "-"],
  ]);
  // The rarest literal first: `_` is rarer than the letters of `sk`.
  assert.deepEqual(
    anchorLiterals("\\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}"),
    [[2, "_"], [7, "_"]],
  );
  // Groups of several widths move what follows by a fixed amount only when they have one width.
  assert.deepEqual(anchorLiterals("(?:ab|cd)-x"), [[2, "-x"]]);
  assert.equal(anchorLiterals("(?:a|bc)-x"), undefined);
  assert.equal(anchorLiterals("\\b\\d{1,3}(?:\\.\\d{1,3}){3}\\b"), undefined);
  // Not read: alternatives, back-references, case-insensitive or Unicode patterns.
  assert.equal(anchorLiterals("ab|cd"), undefined);
  assert.equal(anchorLiterals("(a)\\1-"), undefined);
  assert.equal(anchorLiterals("ab-", "i"), undefined);
  assert.equal(anchorLiterals("ab-", "u"), undefined);
  assert.equal(anchorLiterals("[^]-"), undefined);
});

Deno.test("no match of a pattern is shorter than its minimum match length", () => {
  for (const [source, flags, samples] of SEARCHED) {
    const min = minMatchLength(source, flags);
    const re = new RegExp(source, flags.includes("g") ? flags : `${flags}g`);
    for (const sample of samples) {
      for (const m of sample.matchAll(re)) {
        assert.ok(m[0].length >= min, `${source}: "${m[0]}" under ${min}`);
      }
    }
  }
  // And the bound is tight where it can be.
  assert.equal(minMatchLength("\\bACC-\\d{6}\\b"), 10);
  assert.equal(minMatchLength("(?:a|bc)-d"), 3);
  assert.equal(minMatchLength("x*"), 0);
});
