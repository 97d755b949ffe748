/**
 * The word index behind `seenBefore` is a fast path: it must answer as a
 * plain scan of every earlier message would, also for values whose words
 * all came before the value itself did, or that touch other words.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  seenBefore,
  type SessionCalls,
  type SessionMessage,
  standsIn,
  tokenize,
} from "../../lib/findings/session_calls.ts";
import { pick, seeded } from "../_seeded.ts";

const WORDS = [
  "\n",
  "b\nE003",
  "E003",
  "E03",
  "pay",
  "Year-end",
  "holiday",
  "[REDACTED:email:1a2b3c4d]",
  "a b",
  'x"y',
];

function naive(
  messages: SessionMessage[],
  value: string,
  seq: number,
  dir?: "c2s" | "s2c",
): boolean {
  const written = JSON.stringify(value).slice(1, -1);
  return messages.some((m) =>
    m.seq < seq && (dir === undefined || m.dir === dir) &&
    standsIn(m.text, written)
  );
}

Deno.test("seenBefore answers as a scan of every earlier message would, on seeded sessions", () => {
  const rand = seeded(19);
  for (let round = 0; round < 200; round++) {
    const messages: SessionMessage[] = [];
    for (let seq = 0; seq < 12; seq++) {
      const parts = Array.from(
        { length: 1 + Math.floor(rand() * 3) },
        () => pick(rand, WORDS),
      );
      messages.push({
        seq,
        dir: rand() < 0.5 ? "c2s" : "s2c",
        text: JSON.stringify({ text: parts.join(rand() < 0.5 ? " " : "") }),
      });
    }
    const session: SessionCalls = {
      session: "s",
      calls: [],
      messages,
      hints: new Map(),
    };
    for (let q = 0; q < 20; q++) {
      const value = rand() < 0.5
        ? pick(rand, WORDS)
        : `${pick(rand, WORDS)} ${pick(rand, WORDS)}`;
      const seq = Math.floor(rand() * 13);
      const dir = pick(rand, ["c2s", "s2c", undefined] as const);
      assert.equal(
        seenBefore(session, value, seq, dir),
        naive(messages, value, seq, dir),
        `${JSON.stringify(value)} before seq ${seq} (${dir}) in ${
          JSON.stringify(messages)
        }`,
      );
    }
  }
});

Deno.test("seenBefore: words that came before the value are not the value", () => {
  const session: SessionCalls = {
    session: "s",
    calls: [],
    hints: new Map(),
    messages: [
      { seq: 1, dir: "c2s", text: '{"a":"Year-end","b":"holiday"}' },
      { seq: 5, dir: "c2s", text: '{"r":"Year-end holiday"}' },
    ],
  };
  assert.equal(seenBefore(session, "Year-end holiday", 5), false);
  assert.equal(seenBefore(session, "Year-end holiday", 6), true);
});

Deno.test("tokenize, scanned by hand, gives the runs of /[\\p{L}\\p{N}_-]+/gu on random text: ASCII, accents, CJK, astral letters and digits, emoji, lone surrogates", () => {
  const random = seeded(19);
  const PIECES = [
    "a",
    "Z",
    "0",
    "_",
    "-",
    " ",
    '"',
    ":",
    "\n",
    "\u00e9",
    "\u00df",
    "\u4e2d",
    "\u0661",
    "\u{1d400}",
    "\u{1d7d8}",
    "\u{1f600}",
    "\ud800",
    "\udc00",
    "\u200b",
    "\u00a0",
    "[",
    "E003",
    "\u0300",
  ];
  for (let round = 0; round < 2000; round++) {
    let text = "";
    const length = Math.floor(random() * 40);
    for (let i = 0; i < length; i++) text += pick(random, PIECES);
    assert.deepEqual(
      tokenize(text),
      text.match(/[\p{L}\p{N}_-]+/gu) ?? [],
      JSON.stringify(text),
    );
  }
});
