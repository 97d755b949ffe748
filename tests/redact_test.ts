import assert from "node:assert/strict";
import { mayHoldCardNumber, redactPlugin } from "../plugins/redact.ts";
import { randomText, seeded } from "./_seeded.ts";

const CARD = /\b\d(?:[ -]?\d){12,18}\b/;

Deno.test("the card pre-test never rejects a string the card pattern matches", () => {
  const rand = seeded(5);
  const alphabet = "0123456789 -- 0123456789ab.\n  ";
  let matched = 0;
  for (let n = 0; n < 20000; n++) {
    let text = randomText(rand, alphabet, 60);
    if (rand() < 0.2) {
      const at = Math.floor(rand() * (text.length + 1));
      text = text.slice(0, at) + " 4111 1111-1111 1111 " + text.slice(at);
    }
    if (CARD.test(text)) {
      matched++;
      assert.ok(mayHoldCardNumber(text), JSON.stringify(text));
    }
  }
  assert.ok(matched > 1000, `only ${matched} strings held a card number`);
});

Deno.test("the card pre-test rejects text without 13 digits in a run of digits joined by single spaces and dashes", () => {
  assert.equal(mayHoldCardNumber(""), false);
  assert.equal(mayHoldCardNumber("123456789012"), false);
  assert.equal(mayHoldCardNumber("1234567890123"), true);
  assert.equal(mayHoldCardNumber("x1234567890123x"), true);
  // 13 digits, but broken by a letter: no run holds 13.
  assert.equal(mayHoldCardNumber("123456 a 1234567"), false);
  assert.equal(mayHoldCardNumber("note 2026-07-28 42 42 ok".repeat(40)), false);
  // Two separators in a row end a run, as they end the pattern's match.
  assert.equal(mayHoldCardNumber("4111 1111 1111  1111"), false);
  assert.equal(mayHoldCardNumber("4111 1111 1111 -1111"), false);
  assert.equal(
    mayHoldCardNumber("42 42 2026-07-28 ok 12 34 56 78 90 12 3"),
    true,
  );
  assert.equal(
    mayHoldCardNumber(`${"word ".repeat(300)}4111 1111 1111 1111`),
    true,
  );
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
