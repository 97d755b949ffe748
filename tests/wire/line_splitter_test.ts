import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type Frame, LineSplitter } from "../../lib/wire/line_splitter.ts";
import { seeded } from "../_seeded.ts";

const sha = (b: Uint8Array): string =>
  createHash("sha256").update(b).digest("hex");

/** `count` seeded lines of lowercase letters, each of `size(i)` bytes. */
function randomLines(
  rand: () => number,
  count: number,
  size: (i: number) => number,
): Uint8Array[] {
  return Array.from(
    { length: count },
    (_, i) => new Uint8Array(size(i)).map(() => 0x61 + Math.floor(rand() * 26)),
  );
}

/** The lines as they go over the wire, each ended by a newline. */
function joinLines(lines: Uint8Array[]): Uint8Array {
  const wire = new Uint8Array(lines.reduce((n, l) => n + l.length + 1, 0));
  let at = 0;
  for (const line of lines) {
    wire.set(line, at);
    wire[at + line.length] = 0x0a;
    at += line.length + 1;
  }
  return wire;
}

Deno.test("lines that span reads are gathered in one reused buffer, whole while emitted", () => {
  const rand = seeded(3);
  // Lines of 100 B to 300 KB, cut into 64 KB reads as a pipe delivers them.
  const lines = randomLines(
    rand,
    40,
    (i) => i % 3 === 0 ? 100 : 100_000 + Math.floor(rand() * 200_000),
  );
  const wire = joinLines(lines);
  const seen: { hash: string; transient: boolean; frame: Frame }[] = [];
  const splitter = new LineSplitter(
    (frame) =>
      seen.push({
        hash: sha(frame.bytes),
        transient: !!frame.transient,
        frame,
      }),
  );
  for (let i = 0; i < wire.length; i += 65536) {
    splitter.push(wire.slice(i, i + 65536));
  }
  splitter.end();
  assert.deepEqual(seen.map((s) => s.hash), lines.map(sha));
  // Lines longer than a read span reads: gathered in the one reused buffer.
  for (const [i, line] of lines.entries()) {
    if (line.length > 65536) assert.ok(seen[i].transient);
  }
  const gathered = seen.filter((s) => s.transient);
  const buffers = new Set(gathered.map((s) => s.frame.bytes.buffer));
  // The buffer grows (doubling) to the longest line, and is then reused.
  assert.ok(gathered.length >= 25, `${gathered.length} lines spanned reads`);
  assert.ok(buffers.size <= 8, `${buffers.size} buffers for them`);
});

Deno.test("a caller may reuse one read buffer for every chunk: the frames are whole while emitted", () => {
  const rand = seeded(4);
  const lines = randomLines(rand, 300, () => Math.floor(rand() * 5000));
  const wire = joinLines(lines);
  const hashes: string[] = [];
  const splitter = new LineSplitter((frame) => {
    assert.ok(frame.transient);
    hashes.push(sha(frame.bytes));
  }, { reusedChunks: true });
  // One buffer, overwritten for every read, as a BYOB reader does.
  const buffer = new Uint8Array(4096);
  for (let i = 0; i < wire.length;) {
    const n = Math.min(1 + Math.floor(rand() * 4096), wire.length - i);
    buffer.set(wire.subarray(i, i + n));
    splitter.push(buffer.subarray(0, n));
    buffer.fill(0);
    i += n;
  }
  splitter.end();
  assert.deepEqual(hashes, lines.map(sha));
});
