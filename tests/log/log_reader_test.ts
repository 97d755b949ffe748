import assert from "node:assert/strict";
import { readLog } from "../../lib/log/log_reader.ts";
import { tempDir } from "../_helpers.ts";

Deno.test("readLog numbers lines across the file's reads: CRLF lines parse, damaged ones are listed, the cut last line is truncated", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/log.jsonl`;
  const event = (seq: number, pad: number): string =>
    JSON.stringify({
      v: 1,
      seq,
      kind: "stderr",
      session: "s",
      text: "x".repeat(pad),
    });
  const lines: string[] = [];
  // Lines of up to 300 KB span the stream's reads; every fifth ends in CRLF.
  for (let i = 0; i < 60; i++) {
    const line = event(i, (i * 7919) % 300_000);
    lines.push(i % 5 === 0 ? `${line}\r` : line);
  }
  lines.splice(10, 0, "not json");
  lines.splice(20, 0, "");
  lines.splice(30, 0, '{"v":1,"seq":"x","kind":"k","session":"s"}');
  await Deno.writeTextFile(
    path,
    lines.join("\n") + "\n" + event(60, 10).slice(0, -3),
  );
  const { events, skipped } = await readLog(path);
  assert.deepEqual(
    events.map((e) => e.seq),
    Array.from({ length: 60 }, (_, i) => i),
  );
  assert.deepEqual(skipped, [
    { path, line: 11, reason: "invalid JSON" },
    { path, line: 31, reason: 'missing or invalid field "seq"' },
    { path, line: 64, reason: "truncated last line" },
  ]);
});
