import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type Frame, LineSplitter } from "../lib/line_splitter.ts";
import { seeded } from "./_seeded.ts";

const sha = (b: Uint8Array): string =>
  createHash("sha256").update(b).digest("hex");

Deno.test("long lines are assembled in one reused buffer, whole while emitted", () => {
  const rand = seeded(3);
  // Lines of 100 B to 300 KB, cut into 64 KB reads as a pipe delivers them.
  const lines = Array.from({ length: 40 }, (_, i) => {
    const size = i % 3 === 0 ? 100 : 100_000 + Math.floor(rand() * 200_000);
    return new Uint8Array(size).map(() => 0x61 + Math.floor(rand() * 26));
  });
  const wire = new Uint8Array(lines.reduce((n, l) => n + l.length + 1, 0));
  let at = 0;
  for (const line of lines) {
    wire.set(line, at);
    wire[at + line.length] = 0x0a;
    at += line.length + 1;
  }
  const seen: { hash: string; transient: boolean; frame: Frame }[] = [];
  const splitter = new LineSplitter(
    (frame) =>
      seen.push({
        hash: sha(frame.bytes),
        transient: !!frame.transient,
        frame,
      }),
    { reuseAbove: 50_000 },
  );
  for (let i = 0; i < wire.length; i += 65536) {
    splitter.push(wire.slice(i, i + 65536));
  }
  splitter.end();
  assert.deepEqual(seen.map((s) => s.hash), lines.map(sha));
  // Long lines share one buffer; short ones do not.
  assert.deepEqual(
    seen.map((s) => s.transient),
    lines.map((l) => l.length > 50_000),
  );
  const buffers = new Set(
    seen.filter((s) => s.transient).map((s) => s.frame.bytes.buffer),
  );
  assert.equal(buffers.size, 1);
});
