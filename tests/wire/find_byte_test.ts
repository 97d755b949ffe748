import assert from "node:assert/strict";
import { findByte } from "../../lib/wire/_find_byte.ts";
import { seeded } from "../_seeded.ts";

Deno.test("findByte agrees with indexOf for the byte at every offset around the window edges", () => {
  const length = 4096 + 65536 * 2 + 100;
  const bytes = new Uint8Array(length).fill(0x61);
  const edges = [
    0,
    15,
    16,
    17,
    63,
    64,
    65,
    4095,
    4096,
    4097,
    4096 + 65535,
    4096 + 65536,
    4096 + 65537,
  ];
  for (const from of [0, 1, 7, 100]) {
    for (const edge of edges) {
      for (let d = -3; d <= 3; d++) {
        const at = from + edge + d;
        if (at < 0 || at >= length) continue;
        bytes[at] = 10;
        assert.equal(
          findByte(bytes, 10, from),
          bytes.indexOf(10, from),
          `from ${from} at ${at}`,
        );
        bytes[at] = 0x61;
      }
    }
    assert.equal(findByte(bytes, 10, from), -1);
  }
});

Deno.test("findByte finds every line end of seeded text as indexOf does", () => {
  const rand = seeded(7);
  const bytes = new Uint8Array(300_000).map(() =>
    rand() < 0.001 ? 10 : 0x20 + Math.floor(rand() * 200)
  );
  for (let start = 0, n = 0; n < 1000; n++) {
    const expected = bytes.indexOf(10, start);
    assert.equal(findByte(bytes, 10, start), expected);
    if (expected < 0) break;
    start = expected + 1;
  }
});
