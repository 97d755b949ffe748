import assert from "node:assert/strict";
import { Sealer } from "../../lib/seal/seal.ts";
import { seeded } from "../_seeded.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("lines sealed in uneven batches, four at a time through the lanes, equal lines sealed one by one", async () => {
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
  const expected = lines.map((line) =>
    decoder.decode(one.seal(encoder.encode(line)))
  ).join("");

  const many = new Sealer("s");
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
    out += decoder.decode(many.seal(bytes, { ends, from, to, start }));
    from = to;
  }
  assert.equal(out, expected);
  assert.deepEqual(await many.checkpoint(), await one.checkpoint());
});

Deno.test("a line sealed with leaf: false (a checkpoint) is chained but not added to the tree", async () => {
  const sealer = new Sealer("s");
  sealer.seal(encoder.encode('{"seq":0}\n'));
  const head = sealer.head;
  const sealed = decoder.decode(
    sealer.seal(encoder.encode('{"seq":1,"kind":"checkpoint"}\n'), {
      leaf: false,
    }),
  );
  assert.notEqual(sealer.head, head);
  assert.ok(sealed.endsWith(`"hash":"${sealer.head}"}\n`));
  assert.equal(sealer.treeSize, 1);
  assert.equal(sealer.sinceCheckpoint, 1);
  assert.equal((await sealer.checkpoint()).treeSize, 1);
});

Deno.test("sealing a line that does not end in } and a newline throws and names the line", () => {
  const sealer = new Sealer("s");
  const bytes = encoder.encode('{"seq":0}\n{"seq":1}');
  assert.throws(
    () => sealer.seal(bytes, { ends: [10, 19] }),
    (error: unknown) =>
      error instanceof RangeError &&
      /line 1 \(bytes 10 to 19\)/.test(error.message),
  );
  assert.throws(() => sealer.seal(encoder.encode('{"seq":0}')), RangeError);
});

Deno.test("sealing no lines returns nothing and leaves the chain as it was", () => {
  const sealer = new Sealer("s");
  const head = sealer.head;
  assert.equal(sealer.seal(encoder.encode('{"a":1}\n'), { from: 1 }).length, 0);
  assert.equal(sealer.head, head);
});
