import assert from "node:assert/strict";
import {
  scalarEnd,
  stringEnd,
  stringScan,
} from "../../lib/wire/_string_end.ts";
import { seeded } from "../_seeded.ts";

const WINDOW = 64 * 1024;

/** Bytes of mostly quotes, backslashes and runs of backslashes. */
function noise(rand: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let k = 0; k < length; k++) {
    const r = rand();
    out[k] = r < 0.02 ? 0x22 : r < 0.3 ? 0x5c : r < 0.9 ? 0x61 : 0xc3;
  }
  return out;
}

Deno.test("stringEnd agrees with a byte-by-byte scan, with escapes cut at every window edge", () => {
  const rand = seeded(2121);
  for (let n = 0; n < 300; n++) {
    const length = [WINDOW, 2 * WINDOW, 3000][n % 3] + Math.floor(rand() * 64) -
      32;
    const bytes = noise(rand, length);
    bytes[0] = 0x22;
    // Force a first quote that is escaped, so the SIMD path runs.
    bytes[1] = 0x5c;
    bytes[2] = 0x22;
    // Around each window edge: a run of backslashes, then a quote.
    for (let edge = WINDOW + 1; edge < length; edge += WINDOW) {
      const run = Math.floor(rand() * 5);
      for (let k = edge - run; k < edge; k++) if (k > 2) bytes[k] = 0x5c;
      if (rand() < 0.5) bytes[edge] = 0x22;
    }
    const i = 0;
    assert.equal(stringEnd(bytes, i), scalarEnd(bytes, i), `case ${n}`);
  }
});

Deno.test("stringEnd finds a closing quote past a megabyte of escapes, and -1 when there is none", () => {
  const text = new TextEncoder().encode(
    '"' + '\\"\\\\x'.repeat(300_000) + '"tail',
  );
  assert.equal(stringEnd(text, 0), text.length - 4);
  assert.equal(stringEnd(text.subarray(0, text.length - 5), 0), -1);
  // A backslash as the last byte of a window escapes the first of the next.
  const edge = new Uint8Array(WINDOW + 10).fill(0x61);
  edge[0] = 0x22, edge[1] = 0x5c, edge[2] = 0x22;
  edge[WINDOW] = 0x5c; // the last byte of the first window (it starts at 1)
  edge[WINDOW + 1] = 0x22; // escaped
  edge[WINDOW + 5] = 0x22;
  assert.equal(stringEnd(edge, 0), WINDOW + 6);
});

Deno.test("stringScan resumed at every piece of a string cut anywhere agrees with stringEnd on the whole", () => {
  const rand = seeded(2122);
  for (let n = 0; n < 300; n++) {
    const length = [3 * WINDOW, 5000, 200][n % 3] + Math.floor(rand() * 64);
    const bytes = noise(rand, length);
    bytes[0] = 0x22;
    const want = stringEnd(bytes, 0);
    // The string's bytes arrive in pieces, some of one byte (an escape cut
    // right after its backslash), some larger than a window.
    let pos = 1;
    let escaped = false;
    let got = -1;
    for (let have = 1; have < length;) {
      have = Math.min(
        length,
        have + 1 + Math.floor(rand() * (rand() < 0.3 ? 3 : 1.5 * WINDOW)),
      );
      const r = stringScan(bytes.subarray(0, have), pos, escaped);
      if (r >= 0) {
        got = r;
        break;
      }
      escaped = r === -2;
      pos = have;
    }
    assert.equal(got, want, `case ${n}`);
  }
});

Deno.test("stringEnd finds the one unescaped quote after long runs of escapes, at any offset from the 64-byte blocks", () => {
  const rand = seeded(2125);
  const enc = new TextEncoder();
  const pieces = ['\\"', "\\\\", "\\\\\\\\", "a", "\\n", '\\\\\\"', "é"];
  for (let n = 0; n < 400; n++) {
    let s = '"';
    const length = Math.floor(rand() * (n % 2 ? 3 * WINDOW : 3000));
    while (s.length < length) s += pieces[Math.floor(rand() * pieces.length)];
    const bytes = enc.encode(s + '"' + (rand() < 0.5 ? "tail" : '\\"'));
    const want = enc.encode(s).length + 1;
    assert.equal(scalarEnd(bytes, 0), want, `reference, case ${n}`);
    assert.equal(stringEnd(bytes, 0), want, `case ${n}`);
    // Cut before its closing quote: none, and resumable at the cut.
    assert.equal(stringEnd(bytes.subarray(0, want - 1), 0), -1, `cut ${n}`);
  }
});
