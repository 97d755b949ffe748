import assert from "node:assert/strict";
import { FrameSkim, type Skimmed, skimObject } from "../../lib/wire/_skim.ts";
import { seeded } from "../_seeded.ts";

const encoder = new TextEncoder();

/** A string of text with quotes, backslash runs and multi-byte characters. */
function text(rand: () => number, length: number): string {
  const pieces = [
    '"',
    "\\",
    "\\\\",
    '\\"',
    "}",
    "]",
    "{",
    "[",
    ",",
    ":",
    "é",
    "😀",
    "a",
    "bc",
  ];
  let s = "";
  while (s.length < length) s += pieces[Math.floor(rand() * pieces.length)];
  return s;
}

function value(rand: () => number, depth: number): unknown {
  const r = rand();
  if (depth > 2 || r < 0.3) return text(rand, Math.floor(rand() * 40));
  if (r < 0.4) return Math.floor(rand() * 1000);
  if (r < 0.45) return rand() < 0.5;
  if (r < 0.5) return null;
  if (r < 0.75) {
    return Array.from(
      { length: Math.floor(rand() * 4) },
      () => value(rand, depth + 1),
    );
  }
  return object(rand, depth + 1, ["name", "isError", "code", "message", "x"]);
}

function object(
  rand: () => number,
  depth: number,
  keys: string[],
): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k of keys) if (rand() < 0.6) o[k] = value(rand, depth);
  return o;
}

/** JSON text with the members in a random order and random whitespace. */
function serialise(v: unknown, rand: () => number): string {
  const ws = (): string => [" ", "", "\n", "\t", ""][Math.floor(rand() * 5)];
  if (Array.isArray(v)) {
    return "[" + v.map((x) => ws() + serialise(x, rand)).join(",") + ws() + "]";
  }
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v).sort(() => rand() - 0.5);
    return "{" + entries.map(([k, x]) =>
      ws() + JSON.stringify(k) + ws() + ":" + ws() + serialise(x, rand)
    ).join(",") + ws() + "}";
  }
  return JSON.stringify(v);
}

Deno.test("skimObject reads the same members as JSON.parse, in any order, past nested strings with quotes and backslashes", () => {
  const rand = seeded(21);
  for (let n = 0; n < 2000; n++) {
    const message = object(rand, 0, [
      "jsonrpc",
      "id",
      "method",
      "params",
      "result",
      "error",
      "other",
    ]);
    const wire = serialise(message, rand);
    const m = JSON.parse(wire);
    const s = skimObject(encoder.encode(wire));
    assert.ok(s, wire);
    assert.deepEqual(s.jsonrpc, m.jsonrpc, wire);
    assert.equal(s.hasId, "id" in m, wire);
    assert.deepEqual(s.id, m.id, wire);
    assert.deepEqual(s.method, m.method, wire);
    assert.equal(s.hasParams, "params" in m, wire);
    const obj = (x: unknown): x is Record<string, unknown> =>
      x !== null && typeof x === "object" && !Array.isArray(x);
    const name = obj(m.params) && typeof m.params.name === "string"
      ? m.params.name
      : undefined;
    assert.equal(s.paramsName, name, wire);
    const isError = obj(m.result) && typeof m.result.isError === "boolean"
      ? m.result.isError
      : undefined;
    assert.equal(s.isError, isError, wire);
    assert.equal(s.hasError, "error" in m, wire);
    assert.deepEqual(
      s.errorCode,
      obj(m.error) ? m.error.code : undefined,
      wire,
    );
    assert.deepEqual(
      s.errorMessage,
      obj(m.error) ? m.error.message : undefined,
      wire,
    );
  }
});

Deno.test("skimObject finds an id after a payload of a megabyte, and rejects a payload left open", () => {
  const big = '{"result":{"content":[{"type":"text","text":"' +
    '\\"x\\\\'.repeat(200_000) +
    '"}],"isError":false},"jsonrpc":"2.0","id":"after"}';
  const s = skimObject(encoder.encode(big));
  assert.equal(s?.id, "after");
  assert.equal(s?.isError, false);
  assert.equal(skimObject(encoder.encode(big.slice(0, 500_000))), undefined);
  assert.equal(skimObject(encoder.encode('{"id":1,"x":"a\\"}')), undefined);
});

/** `skim` fed `bytes` in random pieces, as the line splitter feeds it, then ended. */
function skimInPieces(
  bytes: Uint8Array,
  rand: () => number,
  maxPiece: number,
): Skimmed | undefined {
  const skim = new FrameSkim();
  for (let have = 0; have < bytes.length;) {
    have = Math.min(bytes.length, have + 1 + Math.floor(rand() * maxPiece));
    // A new view each time, as of the splitter's growing buffer.
    skim.update(bytes.subarray(0, have));
  }
  return skim.end(bytes);
}

Deno.test("FrameSkim fed a frame in random pieces finds what skimObject finds in the whole, malformed and cut frames too", () => {
  const rand = seeded(2123);
  for (let n = 0; n < 1500; n++) {
    const message = object(rand, 0, [
      "jsonrpc",
      "id",
      "method",
      "params",
      "result",
      "error",
      "other",
    ]);
    let wire = serialise(message, rand);
    // Some cut short, some with a byte changed, some with a long string.
    const r = rand();
    if (r < 0.15) wire = wire.slice(0, Math.floor(rand() * wire.length));
    else if (r < 0.3) {
      const at = Math.floor(rand() * wire.length);
      wire = wire.slice(0, at) + '"}],:\\ '[Math.floor(rand() * 7)] +
        wire.slice(at + 1);
    } else if (r < 0.4) {
      const big = '\\"a\\\\'.repeat(Math.floor(rand() * 40_000));
      wire = wire.replace(
        /^\{/,
        rand() < 0.5 ? `{"big":"${big}",` : `{"big":[{"t":"${big}"}],`,
      );
    } else if (r < 0.55) {
      // Strings inside a structure of about the length looked through
      // before the string-end scan takes over, with escapes around it.
      const near = Array.from(
        { length: 6 },
        () => text(rand, 50 + Math.floor(rand() * 30)),
      );
      wire = wire.replace(/^\{/, `{"near":${JSON.stringify(near)},`);
    }
    const bytes = encoder.encode(wire);
    const whole = skimObject(bytes);
    for (const maxPiece of bytes.length < 5000 ? [3, 64] : [700, 70_000]) {
      assert.deepEqual(
        skimInPieces(bytes, rand, maxPiece),
        whole,
        `${maxPiece}: ${wire.slice(0, 300)}`,
      );
    }
  }
});
