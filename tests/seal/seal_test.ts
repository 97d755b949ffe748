import assert from "node:assert/strict";
import { Sealer } from "../../lib/seal/seal.ts";
import { SEAL_SUFFIX } from "../../lib/seal/sealed_line.ts";
import { seeded } from "../_seeded.ts";

Deno.test("lines sealed as bytes, four at a time, equal lines sealed one by one as strings", async () => {
  const rand = seeded(11);
  const lines = Array.from({ length: 103 }, (_, i) => {
    // Short, long (past a WebAssembly lane) and non-ASCII lines.
    const size = i % 17 === 0 ? 20_000 : Math.floor(rand() * 3000);
    const text = Array.from(
      { length: size },
      () => "ab c\u00e9\u4e2d\u{1F600}"[Math.floor(rand() * 6)],
    ).join("");
    return JSON.stringify({ v: 1, seq: i, kind: "stderr", text }) + "\n";
  });
  const one = new Sealer("s");
  const expected = lines.map((line) => one.seal(line, true)).join("");

  const many = new Sealer("s");
  const encoder = new TextEncoder();
  const bytes = encoder.encode(lines.join(""));
  const ends: number[] = [];
  let at = 0;
  for (const line of lines) ends.push(at += encoder.encode(line).length);
  // In uneven runs, as batches arrive.
  let out = "";
  let from = 0;
  while (from < lines.length) {
    const to = Math.min(lines.length, from + 1 + Math.floor(rand() * 9));
    const start = from === 0 ? 0 : ends[from - 1];
    const buffer = new Uint8Array(
      ends[to - 1] - start + (to - from) * SEAL_SUFFIX,
    );
    const length = many.sealEncoded(bytes, ends, from, to, start, buffer);
    out += new TextDecoder().decode(buffer.subarray(0, length));
    from = to;
  }
  assert.equal(out, expected);
  assert.deepEqual(await many.checkpoint(), await one.checkpoint());
});
