import assert from "node:assert/strict";
import {
  entropyBits,
  findCardNumbers,
  findEmails,
  luhnValid,
  redactPlugin,
  SHARED_KEY_BITS,
} from "../../plugins/redact.ts";
import { pick, randomText, seeded } from "../_seeded.ts";
import { parseConfig } from "../../lib/config/config.ts";

const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;

/** The reference: a global search with the card pattern, kept when Luhn-valid. */
function cardsByPattern(text: string): [number, number][] {
  return [...text.matchAll(CARD)]
    .filter((m) => luhnValid(m[0]))
    .map((m) => [m.index, m.index + m[0].length]);
}

Deno.test("the card search finds exactly the Luhn-valid matches of the card pattern", () => {
  const rand = seeded(5);
  const alphabet = "0123456789 -- 0123456789ab.\n  ";
  const cards = [
    " 4111 1111-1111 1111 ",
    "5500000000000004",
    "4111 1111 1111 1112",
  ];
  let found = 0;
  for (let n = 0; n < 20000; n++) {
    let text = randomText(rand, alphabet, 60);
    if (rand() < 0.3) {
      const at = Math.floor(rand() * (text.length + 1));
      text = text.slice(0, at) + pick(rand, cards) + text.slice(at);
    }
    const expected = cardsByPattern(text);
    found += expected.length;
    assert.deepEqual(findCardNumbers(text), expected, JSON.stringify(text));
  }
  assert.ok(found > 1000, `only ${found} card numbers in the texts`);
});

Deno.test("the card search finds nothing without 13 digits in a run of digits joined by single spaces and dashes", () => {
  assert.deepEqual(findCardNumbers(""), []);
  assert.deepEqual(findCardNumbers("123456789012"), []);
  assert.deepEqual(findCardNumbers("x4111111111111111"), []); // No word boundary.
  assert.deepEqual(findCardNumbers("4111111111111111"), [[0, 16]]);
  // 13 digits, but broken by a letter: no run holds 13.
  assert.deepEqual(findCardNumbers("123456 a 1234567"), []);
  assert.deepEqual(findCardNumbers("note 2026-07-28 42 42 ok".repeat(40)), []);
  // Two separators in a row end a run, as they end the pattern's match.
  assert.deepEqual(findCardNumbers("4111 1111 1111  1111"), []);
  assert.deepEqual(findCardNumbers("4111 1111 1111 -1111"), []);
  assert.deepEqual(
    findCardNumbers(`${"word ".repeat(300)}4111 1111 1111 1111`),
    [[1500, 1519]],
  );
  // The shortest card, 13 digits, wherever it starts.
  assert.ok(luhnValid("4222222222222"));
  for (let at = 0; at < 40; at++) {
    const text = `${"a".repeat(at)} 4222222222222 ${"b".repeat(40)}`;
    assert.deepEqual(findCardNumbers(text), [[at + 1, at + 14]], text);
  }
});

Deno.test("redaction replaces a Luhn-valid card number in text only once it has looked for other secrets", () => {
  const plugin = redactPlugin({ key: "k" });
  const out = plugin.redact?.(
    "pay 4111 1111 1111 1111 not 4111 1111 1111 1112, mail ana@example.com",
    "result.text",
  );
  assert.match(
    out ?? "",
    /^pay \[REDACTED:card:[0-9a-f]{8}\] not 4111 1111 1111 1112, mail \[REDACTED:email:[0-9a-f]{8}\]$/,
  );
  assert.equal(plugin.redact?.("4111 1111 1111 1112", "x"), undefined);
  assert.equal(plugin.redact?.("note 2026-07-28 42 42", "x"), undefined);
  // Argument keys that name secrets redact the whole value, by path.
  assert.match(
    plugin.redact?.("x", "arguments.items[2].api_key") ?? "",
    /^\[REDACTED:secret:/,
  );
  assert.match(
    plugin.redact?.("x", "arguments.db.Password") ?? "",
    /^\[REDACTED:password:/,
  );
  assert.equal(plugin.redact?.("x", "arguments.db.passwordHint"), undefined);
});

Deno.test("redact: a pattern's g flag changes nothing, and y is refused at config load naming the key", () => {
  const text = "ssn 123-45-6789 and 987-65-4321";
  const redacted = (flags?: string) =>
    redactPlugin({
      key: "k",
      patterns: [{ type: "ssn", pattern: "\\b\\d{3}-\\d{2}-\\d{4}\\b", flags }],
    }).redact?.(text, "result.text");
  // Tags apart: an SSN is too guessable for the shared key, so each
  // plugin tags it with a key of its own.
  const untagged = (s: string | undefined) =>
    s?.replace(/:[0-9a-f]{8}\]/g, "]");
  assert.equal(untagged(redacted("g")), untagged(redacted()));
  assert.match(
    redacted("g") ?? "",
    /^ssn \[REDACTED:ssn:[0-9a-f]{8}\] and \[REDACTED:ssn:[0-9a-f]{8}\]$/,
  );
  assert.throws(
    () =>
      parseConfig(
        `{ "redact": { "patterns": [{ "type": "ssn", "pattern": "x", "flags": "gy" }] } }`,
        "c.jsonc",
      ),
    /"redact\.patterns\.0\.flags": flag "y" \(sticky\) is not supported/,
  );
});

Deno.test("redact: values under secret-named keys are redacted at any path, but not progress tokens or token counts", () => {
  const plugin = redactPlugin({ key: "k" });
  for (
    const path of [
      "result.structuredContent.password",
      "error.data.credentials.user",
      "_meta.api_key",
      "command.token",
    ]
  ) {
    assert.match(
      plugin.redact?.("x1", path) ?? "",
      /^\[REDACTED:(password|secret):/,
      path,
    );
  }
  assert.equal(plugin.redact?.("7", "_meta.progressToken"), undefined);
  assert.equal(plugin.redact?.("100", "params.maxTokens"), undefined);
  assert.equal(plugin.redact?.("100", "result.usage.total_tokens"), undefined);
});

Deno.test('redact: key=value and "key": value in text, escaped or not, lose their value and keep their key', () => {
  const plugin = redactPlugin({ key: "k" });
  const cases: [string, RegExp][] = [
    [
      "db password=hunter2; ok",
      /^db password=\[REDACTED:password:[0-9a-f]{8}\]; ok$/,
    ],
    [
      '{"api_key": "abc123", "n": 1}',
      /^\{"api_key": "\[REDACTED:secret:[0-9a-f]{8}\]", "n": 1\}$/,
    ],
    [
      '{\\"token\\":\\"abc123\\"}',
      /^\{\\"token\\":\\"\[REDACTED:secret:[0-9a-f]{8}\]\\"\}$/,
    ],
    ["--password=hunter2", /^--password=\[REDACTED:password:[0-9a-f]{8}\]$/],
    [
      "Authorization: Basic dXNlcjpwYXNz",
      /^Authorization: Basic \[REDACTED:secret:[0-9a-f]{8}\]$/,
    ],
    ["pin: 4821", /^pin: \[REDACTED:secret:[0-9a-f]{8}\]$/],
  ];
  for (const [text, expected] of cases) {
    assert.match(plugin.redact?.(text, "result.text") ?? "", expected, text);
  }
  assert.equal(
    plugin.redact?.("spinning: yes, max_tokens=5", "result.text"),
    undefined,
  );
  // What the plugin wrote is left as it is.
  const once = plugin.redact?.("token=abc123", "x") ?? "";
  assert.equal(plugin.redact?.(once, "x"), undefined);
  const marker = plugin.redact?.("ghp_" + "a".repeat(36), "x") ?? "";
  assert.equal(plugin.redact?.(marker, "x"), undefined);
});

Deno.test("redact: text that only looks like a marker is redacted all the same", () => {
  const plugin = redactPlugin({ key: "k" });
  const token = "ghp_" + "Ab1".repeat(12);
  assert.doesNotMatch(
    plugin.redact?.(`[REDACTED:${token}:00000000]`, "x") ?? "",
    /ghp_/,
  );
  assert.doesNotMatch(
    plugin.redact?.(`[REDACTED:secret:00000000] ${token} ]`, "x") ?? "",
    /ghp_/,
  );
});

Deno.test("redact: a guessable value's marker is keyed by the plugin alone, a strong one's by the shared key", () => {
  const a = redactPlugin({ key: "shared" });
  const b = redactPlugin({ key: "shared" });
  assert.ok(entropyBits("4821") < SHARED_KEY_BITS);
  const pin = (p: typeof a) => p.redact?.("4821", "arguments.pin");
  assert.equal(pin(a), pin(a));
  assert.notEqual(pin(a), pin(b));
  const strong = "sk-ant-api03-Vx7Qm2pL9rT4wZ8kY1nB6cJ3hF5dG0sA";
  assert.ok(entropyBits(strong) >= SHARED_KEY_BITS);
  assert.equal(a.redact?.(strong, "x"), b.redact?.(strong, "x"));
});

/** What the email search must find: this expression, searched globally. */
const EMAIL =
  /\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}\b/g;

Deno.test("the email search finds exactly the matches of the email pattern, in linear time", () => {
  const rand = seeded(25);
  const alphabet = [..."ab1_.-@%+ Z.co@é\n"];
  for (let t = 0; t < 100_000; t++) {
    let text = "";
    for (let k = Math.floor(rand() * 24); k > 0; k--) {
      text += pick(rand, alphabet);
    }
    const want = [...text.matchAll(EMAIL)].map((
      m,
    ) => [m.index, m.index + m[0].length]);
    assert.deepEqual(findEmails(text), want, JSON.stringify(text));
  }
  // Long runs, where the lengths' bounds matter.
  const long = [..."aaaaaaaab.-_%@@ cc.dd1"];
  for (let t = 0; t < 3000; t++) {
    let text = "";
    for (let k = Math.floor(rand() * 700); k > 0; k--) text += pick(rand, long);
    const want = [...text.matchAll(EMAIL)].map((
      m,
    ) => [m.index, m.index + m[0].length]);
    assert.deepEqual(findEmails(text), want, JSON.stringify(text));
  }
  // The shape that took the expression seconds per 100 KB.
  const hostile = "a.".repeat(500_000) + "@" + "b.".repeat(500_000) + "1";
  assert.deepEqual(findEmails(hostile), []);
  assert.deepEqual(findEmails(`${hostile} x@y.io`), [[
    hostile.length + 1,
    hostile.length + 7,
  ]]);
});
