import assert from "node:assert/strict";
import { readLineRanges } from "../../lib/log/log_lines.ts";
import { tempDir } from "../_helpers.ts";

Deno.test("readLineRanges gives every line as written, CRs kept, numbered, the cut last line unterminated, for any block size", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/log.jsonl`;
  const text = '{"seq":0}\r\n\n{"seq":2,"t":"' + "x".repeat(5000) +
    '"}\n\r\n{"seq":4}\n{"se';
  await Deno.writeTextFile(path, text);
  const parts = text.split("\n");
  const want = parts.map((p, i) => [p, i + 1, i < parts.length - 1]);
  for (const blockBytes of [1, 2, 3, 7, 64, 4096, 1 << 20]) {
    const seen: unknown[] = [];
    const bytes = await readLineRanges(path, (buf, start, end, line, ended) => {
      seen.push([
        new TextDecoder().decode(buf.subarray(start, end)),
        line,
        ended,
      ]);
      // A handler that waits, as verify's does: the next line follows it.
      return line % 3 === 0 ? Promise.resolve() : undefined;
    }, { blockBytes });
    assert.deepEqual(seen, want, `blockBytes ${blockBytes}`);
    assert.equal(bytes, new TextEncoder().encode(text).length);
  }
});
