/**
 * `SseParser.cut`, the point up to which the reverse proxy forwards a
 * chunk (whole events only): over seeded streams of events with LF, CR
 * and CRLF line ends, multi-byte characters, comments, ids and empty
 * priming events, cut into chunks at random (a CRLF or a UTF-8 sequence
 * split between two), what is forwarded is always a prefix of the stream
 * that ends between events, holds exactly the events parsed so far, and
 * is the whole stream at its end.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type SseEvent, SseParser } from "../../lib/http/sse_parser.ts";

/** A small seeded generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function stream(next: () => number): string {
  const ends = ["\n", "\r", "\r\n"];
  const words = ['{"a":1}', "héllo", "世界", "x".repeat(40), "🙂", ""];
  const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)];
  let text = "";
  for (let i = 0; i < 30; i++) {
    const end = pick(ends);
    const kind = next();
    if (kind < 0.15) {
      text += `: keep-alive${end}`;
      continue;
    }
    if (kind < 0.25) {
      text += `id: ${i}${end}data:${end}${end}`; // a priming event
      continue;
    }
    if (next() < 0.5) text += `id: ev-${i}${end}`;
    if (next() < 0.3) text += `event: message${end}`;
    const lines = 1 + Math.floor(next() * 3);
    for (let l = 0; l < lines; l++) {
      text += `data: ${pick(words)}${pick(words)}${end}`;
      if (next() < 0.1) text += `: inside${end}`;
    }
    text += end;
  }
  return text;
}

function parseAll(bytes: Uint8Array): SseEvent[] {
  const events: SseEvent[] = [];
  new SseParser((e) => events.push(e)).push(bytes);
  return events;
}

Deno.test("SseParser.cut: what is forwarded up to each cut is a prefix of the stream of whole events, whatever the chunking", () => {
  for (let seed = 1; seed <= 200; seed++) {
    const next = random(seed);
    const bytes = new TextEncoder().encode(stream(next));
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e));
    let forwarded = 0; // bytes of the stream given so far
    let at = 0;
    while (at < bytes.length) {
      const size = 1 + Math.floor(next() * 24);
      const chunk = bytes.subarray(at, at + size);
      parser.push(chunk);
      if (parser.cut >= 0) {
        assert.ok(parser.cut <= chunk.length);
        forwarded = at + parser.cut;
        const given = bytes.subarray(0, forwarded);
        assert.deepEqual(
          parseAll(given),
          events,
          `seed ${seed}: the bytes up to the cut hold the events parsed so far`,
        );
        // Nothing of an event is left over in them: one more blank line
        // dispatches nothing.
        const closed = new Uint8Array(given.length + 2);
        closed.set(given);
        closed.set([10, 10], given.length);
        assert.equal(parseAll(closed).length, events.length, `seed ${seed}`);
      }
      at += chunk.length;
    }
    assert.equal(forwarded, bytes.length, `seed ${seed}: all of it at the end`);
  }
});
