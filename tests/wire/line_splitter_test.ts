import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type Frame, LineSplitter } from "../../lib/wire/line_splitter.ts";
import { seeded } from "../_seeded.ts";
import { skimObject } from "../../lib/wire/_skim.ts";

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

/** What splitting `text` must give: its lines, each with its number and whether a LF ended it. */
function expectedLines(
  text: string,
  keepCr: boolean,
): [string, number, boolean][] {
  const parts = text.split("\n");
  const last = parts.pop()!;
  const lines: [string, number, boolean][] = parts.map((
    p,
    i,
  ) => [keepCr ? p : p.replace(/\r$/, ""), i + 1, true]);
  if (last !== "") {
    lines.push([
      keepCr ? last : last.replace(/\r$/, ""),
      lines.length + 1,
      false,
    ]);
  }
  return lines;
}

// In the spirit of std's text_line_stream_test: every line ending, empty
// lines, CRs inside a line and at a chunk's edge, and an unterminated last
// line, cut at every position and then into random pieces.
const TRICKY = 'a\r\n\nbc\rd\n\r\n\r\r\n{"x":"\u00e9"}\n\nlast\r';

Deno.test("lines cut at any position come out whole, numbered, CRs stripped or kept, the last one unterminated", async () => {
  const bytes = new TextEncoder().encode(TRICKY);
  const decode = (b: Uint8Array): string => new TextDecoder().decode(b);
  const rand = seeded(5);
  const cuts: number[][] = [];
  for (let i = 0; i <= bytes.length; i++) {
    for (let j = i; j <= bytes.length; j++) cuts.push([i, j]);
  }
  for (let r = 0; r < 200; r++) {
    cuts.push(
      Array.from({ length: 6 }, () => Math.floor(rand() * bytes.length))
        .sort((a, b) => a - b),
    );
  }
  for (const keepCr of [false, true]) {
    const want = expectedLines(TRICKY, keepCr);
    for (const cut of cuts) {
      const chunks = [0, ...cut, bytes.length].slice(1).map((end, k, ends) =>
        bytes.slice(k === 0 ? 0 : ends[k - 1], end)
      );
      const frames: [string, number, boolean][] = [];
      const framer = new LineSplitter(
        (f) =>
          frames.push([decode(f.bytes), frames.length + 1, !f.unterminated]),
        { keepCr },
      );
      const ranges: [string, number, boolean][] = [];
      const ranger = LineSplitter.ofRanges((buf, start, end, line, ended) => {
        ranges.push([decode(buf.subarray(start, end)), line, ended]);
        // Every other line waits: the rest of its chunk must follow it.
        return line % 2 === 0 ? Promise.resolve() : undefined;
      }, { keepCr });
      for (const chunk of chunks) {
        framer.push(chunk);
        await ranger.push(chunk);
      }
      framer.end();
      await ranger.end();
      assert.deepEqual(frames, want, `frames, keepCr ${keepCr}, cut ${cut}`);
      assert.deepEqual(ranges, want, `ranges, keepCr ${keepCr}, cut ${cut}`);
      assert.equal(ranger.lines, want.length);
    }
  }
});

Deno.test("a range handler's promise holds back the next line, and its bytes stay intact until it settles", async () => {
  const order: string[] = [];
  const splitter = LineSplitter.ofRanges(async (buf, start, end, line) => {
    const before = buf.slice(start, end);
    order.push(`start ${line}`);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(buf.slice(start, end), before);
    order.push(`end ${line}`);
  });
  const wire = new TextEncoder().encode("one\ntwo\nthree\nfour");
  // A buffer reused for every chunk, as the log reader's blocks are.
  const block = new Uint8Array(5);
  for (let at = 0; at < wire.length; at += 5) {
    const n = Math.min(5, wire.length - at);
    block.set(wire.subarray(at, at + n));
    const done = splitter.push(block.subarray(0, n));
    if (done) await done;
    block.fill(0);
  }
  await splitter.end();
  assert.deepEqual(
    order,
    [1, 2, 3, 4].flatMap((l) => [`start ${l}`, `end ${l}`]),
  );
});

Deno.test("lines past hashFrom carry the SHA-256 of their exact bytes, however they are cut", () => {
  const rand = seeded(2121);
  const enc = new TextEncoder();
  // Long and short lines, one ending in CRLF (its CR is not part of the frame).
  const lines = [
    "a".repeat(300_000),
    "short",
    "b".repeat(99_999) + "é",
    "c".repeat(200_000) + "\r",
    "d".repeat(100_001),
  ];
  const input = enc.encode(lines.map((l) => l + "\n").join(""));
  for (let round = 0; round < 20; round++) {
    const frames: { sha256?: string; bytes: string; length: number }[] = [];
    const splitter = new LineSplitter((frame: Frame) => {
      frames.push({
        sha256: frame.sha256,
        bytes: sha(frame.bytes),
        length: frame.length,
      });
    }, { hashFrom: 100_000, reusedChunks: true });
    for (let at = 0; at < input.length;) {
      const size = 1 + Math.floor(rand() * (round < 10 ? 70_000 : 500));
      // A reused read buffer: each chunk is overwritten after push.
      const chunk = input.slice(at, at + size);
      splitter.push(chunk);
      chunk.fill(0x7a);
      at += size;
    }
    splitter.end();
    assert.equal(frames.length, lines.length);
    for (let i = 0; i < lines.length; i++) {
      const want = sha(enc.encode(lines[i].replace(/\r$/, "")));
      assert.equal(frames[i].bytes, want, `line ${i} whole`);
      // Hashed while gathered when past hashFrom and spanning chunks; a line
      // whose CR was hashed and then left out is hashed by the parser.
      if (frames[i].sha256 !== undefined) {
        assert.equal(frames[i].sha256, want, `round ${round}, line ${i}`);
      }
    }
    assert.equal(
      frames[0].sha256,
      want0(),
      "a 300 KB line is hashed as gathered",
    );
    assert.equal(frames[1].sha256, undefined, "a short line is not");
    assert.equal(
      frames[3].sha256,
      undefined,
      "a CRLF line's hash is left to the parser",
    );
  }
  function want0(): string {
    return sha(enc.encode(lines[0]));
  }
});

Deno.test("lines past skimFrom carry the skim of their exact bytes, however they are cut", () => {
  const rand = seeded(2124);
  const enc = new TextEncoder();
  const big = '\\"x\\\\'.repeat(40_000);
  const lines = [
    `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"text":"${big}"}}}`,
    `{"jsonrpc":"2.0","id":"s","result":{}}`,
    `{"result":{"content":[{"type":"text","text":"${big}"}],"isError":true},"jsonrpc":"2.0","id":2}`,
    // Cut short: not one object.
    `{"jsonrpc":"2.0","id":3,"result":{"text":"${big}`,
    // Ends in CRLF: the CR was skimmed, so the parser skims the frame.
    `{"jsonrpc":"2.0","id":4,"error":{"code":1,"message":"m","data":"${big}"}}\r`,
  ];
  const input = enc.encode(lines.map((l) => l + "\n").join(""));
  for (let round = 0; round < 10; round++) {
    const frames: Frame[] = [];
    const splitter = new LineSplitter((frame: Frame) => {
      // The bytes are reused after this call: check the skim now.
      if (frame.skim) {
        assert.deepEqual(frame.skim.value, skimObject(frame.bytes));
      }
      frames.push({ ...frame, bytes: frame.bytes.slice() });
    }, { hashFrom: 100_000, skimFrom: 100_000, reusedChunks: true });
    for (let at = 0; at < input.length;) {
      const size = 1 + Math.floor(rand() * (round < 5 ? 70_000 : 5000));
      const chunk = input.slice(at, at + size);
      splitter.push(chunk);
      chunk.fill(0x7a);
      at += size;
    }
    splitter.end();
    assert.equal(frames.length, lines.length);
    assert.equal(frames[0].skim?.value?.paramsName, "t");
    assert.equal(frames[1].skim, undefined, "a short line is not skimmed");
    assert.equal(frames[2].skim?.value?.isError, true);
    assert.equal(frames[2].skim?.value?.id, 2);
    assert.deepEqual(frames[3].skim, { value: undefined });
    assert.equal(
      frames[4].skim,
      undefined,
      "a CRLF line is left to the parser",
    );
  }
});
