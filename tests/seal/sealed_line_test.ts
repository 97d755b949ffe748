import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Sealer } from "../../lib/seal/seal.ts";
import { leafHash } from "../../lib/seal/merkle.ts";
import {
  canonicalText,
  HASH_HEX_FROM_END,
  isSealed,
  isSealedText,
  SEAL_SUFFIX,
} from "../../lib/seal/sealed_line.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("sealed_line: what the Sealer writes is the declared format, and taking the suffix off gives back the canonical line", () => {
  const sealer = new Sealer("s");
  for (const canonical of ['{"v":1,"seq":0}', '{"v":1,"seq":1,"t":"é中"}']) {
    const sealed = decoder.decode(
      sealer.seal(encoder.encode(canonical + "\n")),
    );
    assert.ok(sealed.endsWith("\n"));
    const text = sealed.slice(0, -1);
    assert.ok(isSealedText(text));
    assert.ok(isSealed(encoder.encode(text)));
    assert.equal(canonicalText(text), canonical);
    assert.equal(
      encoder.encode(text).length,
      encoder.encode(canonical).length - 1 + SEAL_SUFFIX,
    );
    assert.equal(text.slice(-HASH_HEX_FROM_END, -2), sealer.head);
  }
});

Deno.test("sealed_line: the chain hashes the previous head with the leaf hash of the canonical bytes", () => {
  const sealer = new Sealer("s");
  const start = sealer.start;
  const canonical = '{"v":1,"seq":0}';
  sealer.seal(encoder.encode(canonical + "\n"));
  const expected = createHash("sha256")
    .update(Buffer.from(start, "hex"))
    .update(leafHash(encoder.encode(canonical)))
    .digest("hex");
  assert.equal(sealer.head, expected);
});

Deno.test("sealed_line: a line whose hash member is malformed anywhere is not sealed", () => {
  const good = `{"a":1,"hash":"${"ab".repeat(32)}"}`;
  const bad = [
    good.replace('"hash"', '"hasH"'),
    good.replace("ab", "aB"),
    good.replace("ab", "ag"),
    good.slice(0, -1),
    good + " ",
    `{"hash":"${"ab".repeat(31)}"}`,
  ];
  assert.ok(isSealed(encoder.encode(good)) && isSealedText(good));
  for (const text of bad) {
    assert.equal(isSealed(encoder.encode(text)), false, text);
    assert.equal(isSealedText(text), false, text);
  }
});
