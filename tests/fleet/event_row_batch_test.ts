/**
 * `ship` writes most rows straight from a line's bytes
 * (lib/fleet/_event_row_fast.ts) and the rest from the parsed line: here
 * both are held to the rows that decoding, `JSON.parse` and `eventRow`
 * make, on lines written by the proxy's own Sealer, on hand-written edge
 * cases, and on tens of thousands of mutations of both (a byte changed,
 * dropped or put in; escapes, tabs, quotes, non-ASCII and bad UTF-8
 * spliced in), with a fixed seed so a failure can be replayed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { writeSealedSession } from "./_fleet_logs.ts";
import { tempDir } from "../_helpers.ts";
import {
  checkpointRow,
  eventRow,
  eventRowTsv,
} from "../../lib/fleet/event_row.ts";
import { EventRowBatch } from "../../lib/fleet/event_row_batch.ts";
import { writeEventRowFast } from "../../lib/fleet/_event_row_fast.ts";
import { tsvString } from "../../lib/fleet/event_row.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const origin = { host: "host\t1", user: "o'neil", file: "/logs/a\\b.jsonl" };

/** The row as the parse makes it, or undefined for a line that is skipped. */
function reference(bytes: Uint8Array, lineNo: number): string | undefined {
  let text: string;
  let record: Record<string, unknown>;
  try {
    text = decoder.decode(bytes);
    record = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (
    typeof record !== "object" || record === null ||
    typeof record.session !== "string" || typeof record.seq !== "number"
  ) return undefined;
  return eventRowTsv(eventRow(text, record, origin, lineNo));
}

const hostUser = encoder.encode(
  `${tsvString(origin.host)}\t${tsvString(origin.user)}`,
);
const file = encoder.encode(tsvString(origin.file));
const out = new Uint8Array(1 << 20);

/** Checks one line both ways; returns whether the bytes path took it. */
function check(bytes: Uint8Array, lineNo: number): boolean {
  const want = reference(bytes, lineNo);
  // Padding around the line: the writer must keep to [start, end).
  const padded = new Uint8Array(bytes.length + 8);
  padded.fill(0x7d);
  padded.set(bytes, 4);
  const end = writeEventRowFast(
    padded,
    4,
    4 + bytes.length,
    out,
    0,
    hostUser,
    file,
    lineNo,
  );
  const shown = () => JSON.stringify(new TextDecoder().decode(bytes));
  if (end >= 0) {
    assert.notEqual(want, undefined, `taken but JSON.parse skips ${shown()}`);
    assert.equal(
      new TextDecoder().decode(out.subarray(0, end)),
      want,
      `row of ${shown()}`,
    );
  }
  const batch = new EventRowBatch(origin, 16);
  assert.equal(
    batch.add(padded, 4, 4 + bytes.length, lineNo),
    want !== undefined,
    `added ${shown()}`,
  );
  const taken = batch.take();
  assert.equal(
    new TextDecoder().decode(taken.body),
    want ?? "",
    `batch row of ${shown()}`,
  );
  return end >= 0;
}

/** A fixed-seed generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPLICES = [
  "\\",
  '\\"',
  "\\u0073",
  "\\n",
  "\t",
  " ",
  "'",
  '"',
  ",",
  "{",
  "}",
  "[",
  "]",
  ":",
  "é",
  "€",
  "😀",
  "-",
  "0",
  "1e3",
  ".5",
  "null",
  "true",
  '"kind":"error",',
  '"session":1,',
  '"seq":"1",',
  '"classes":[1,{"label":"x\'y"},{"label":2},[]],',
  '"entities":[null,{"type":"t","value":"v:w"},{"value":"only"}],',
  '"durationMs":1.50,',
  '"durationMs":0.0000001,',
  '"errorType":"Boom",',
  '"isError":true,',
  '"ts":"2026-12-02 19:17:34",',
  '"ts":17,',
];

const EDGES = [
  '{"v":1,"seq":0,"session":"s","kind":"x"}',
  ' {"session":"s","seq":1} ',
  '{"session":"s","seq":1}\r',
  '{"session":"s","seq":-0,"durationMs":-0}',
  '{"session":"s","seq":1e21,"durationMs":123456789012345678}',
  '{"session":"s","seq":2,"session":"t","seq":3}',
  '{"session":"s","seq":2,"session":5}',
  '{"session":"s","seq":2,"isError":true,"isError":false}',
  '{"session":"s","seq":2,"isError":true}',
  '{"session":"s","seq":2,"errorType":"X","isError":true}',
  '{"session":"s","seq":2,"errorType":3,"isError":true}',
  '{"session":"s","seq":2,"kind":"error","error":{"code":-32601,"message":"no"}}',
  '{"session":"s","seq":2,"kind":"error","error":"x"}',
  '{"session":"s","seq":2,"kind":"checkpoint","treeSize":2,"root":"r","head":"h"}',
  '{"session":"s","seq":2,"classes":{"label":"x"},"entities":"e"}',
  '{"session":"s","seq":2,"classes":[],"entities":[]}',
  '{"session":"s","seq":2,"classes":[{"label":"a"},{"label":"b","label":"c"}]}',
  '{"session":"s","seq":2,"classes":[{"label":"\\u0061"}]}',
  '{"session":"s","seq":2,"classes":[{"lab\\u0065l":"a"}]}',
  '{"session":"s","seq":2,"entities":[{"type":"email","value":"é@x"}]}',
  '{"session":"s","seq":2,"tool":"na\\u006de"}',
  '{"sess\\u0069on":"s","seq":2}',
  '{"session":"s","seq":2,"ts":"2026-12-02T19:17:34Z"}',
  '{"session":"s","seq":2,"ts":"2026-12-02T19:17:34.Z"}',
  '{"session":"s","seq":2,"ts":"2026-12-02T19:17:34.1234567Z"}',
  '{"session":"s","seq":2,"ts":"2026-12-02T19:17:34+01:00"}',
  '{"session":"s","seq":2,"ts":null}',
  '{"session":"s","seq":2,"text":"tab\\there","x":[1,2,{"y":[true,false,null]}]}',
  '{"session":"s","seq":2,\t"text":"a"}',
  '{"session":"s","seq":2,"durationMs":0.000001}',
  '{"session":"s","seq":2,"durationMs":"5"}',
  '{"session":"s","seq":2,"deep":' + "[".repeat(80) + "]".repeat(80) + "}",
  '{"session":"s","seq":2,"bad":"\\x"}',
  '{"session":"s","seq":2,"n":01}',
  '{"session":"s","seq":2}x',
  '{"session":"s","seq":2,}',
  "{}",
  "[]",
  '"s"',
  "",
  "\u{feff}" + '{"session":"s","seq":2}',
];

Deno.test("ship's row bytes equal the rows of the parsed lines", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/a.jsonl`;
  await writeSealedSession(log, { session: "sess-1", calls: 300, every: 40 });
  const written = (await Deno.readTextFile(log)).split("\n").slice(0, -1);
  // The writer's own lines: nearly all are taken from their bytes.
  let taken = 0;
  written.forEach((line, i) => {
    if (check(encoder.encode(line), i + 1)) taken++;
  });
  const checkpoints = written.filter((l) => l.includes('"checkpoint"'));
  assert.ok(checkpoints.length >= 10);
  assert.equal(taken, written.length - checkpoints.length);

  // Hand-written edges, as they are.
  for (const [i, line] of EDGES.entries()) check(encoder.encode(line), i + 1);

  // Mutations of both.
  const next = random(20);
  const corpus = [...written.slice(0, 120), ...EDGES];
  let mutations = 0;
  let mutatedTaken = 0;
  for (let round = 0; round < 40; round++) {
    for (const line of corpus) {
      let bytes = encoder.encode(line);
      const edits = 1 + Math.floor(next() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(next() * (bytes.length + 1));
        const how = next();
        if (how < 0.25 && bytes.length > 0) {
          bytes = bytes.with(
            Math.min(at, bytes.length - 1),
            Math.floor(next() * 256),
          );
        } else if (how < 0.4 && bytes.length > 0) {
          bytes = new Uint8Array([
            ...bytes.subarray(0, at),
            ...bytes.subarray(at + 1),
          ]);
        } else {
          const splice = encoder.encode(
            SPLICES[Math.floor(next() * SPLICES.length)],
          );
          bytes = new Uint8Array([
            ...bytes.subarray(0, at),
            ...splice,
            ...bytes.subarray(at),
          ]);
        }
      }
      mutations++;
      if (check(bytes, mutations)) mutatedTaken++;
    }
  }
  // Both ways were taken many times (else the test shows nothing).
  assert.ok(mutatedTaken > mutations / 10, `${mutatedTaken} of ${mutations}`);
  assert.ok(
    mutatedTaken < mutations * 0.9,
    `${mutatedTaken} of ${mutations}`,
  );
});

Deno.test("a batch keeps the checkpoint rows and starts empty after take", () => {
  const batch = new EventRowBatch(origin, 8);
  const lines = [
    '{"v":1,"seq":0,"ts":"2026-12-02T19:17:34.653Z","session":"s","kind":"request"}',
    '{"v":1,"seq":1,"ts":"2026-12-02T19:17:35.653Z","session":"s","kind":"checkpoint","treeSize":1,"root":"ab","head":"cd","keyId":"k","signature":"sg"}',
    "not an event",
  ];
  const added = lines.map((l, i) => {
    const bytes = encoder.encode(l);
    return batch.add(bytes, 0, bytes.length, i + 1);
  });
  assert.deepEqual(added, [true, true, false]);
  assert.equal(batch.rows, 2);
  const taken = batch.take();
  assert.equal(taken.rows, 2);
  assert.deepEqual(taken.checkpoints, [
    checkpointRow(lines[1], JSON.parse(lines[1]), origin),
  ]);
  assert.equal(
    new TextDecoder().decode(taken.body),
    lines.slice(0, 2).map((l, i) =>
      eventRowTsv(eventRow(l, JSON.parse(l), origin, i + 1))
    ).join(""),
  );
  assert.equal(batch.rows, 0);
  assert.equal(batch.bytes, 0);
  assert.equal(batch.take().body.length, 0);
});

Deno.test("a body given back is written over only by a batch taken after it, with the same rows as a new buffer", () => {
  const reused = new EventRowBatch(origin, 64);
  const fresh = new EventRowBatch(origin, 64);
  const line = (seq: number): Uint8Array =>
    encoder.encode(
      `{"v":1,"seq":${seq},"ts":"2026-12-02T19:17:34.653Z","session":"s","kind":"request","tool":"t${seq}"}`,
    );
  const fill = (batch: EventRowBatch, from: number, count: number): void => {
    for (let seq = from; seq < from + count; seq++) {
      const bytes = line(seq);
      batch.add(bytes, 0, bytes.length, seq + 1);
    }
  };
  fill(reused, 0, 5);
  const first = reused.take();
  const firstText = new TextDecoder().decode(first.body);
  // Not given back yet: the next batch must not write over it.
  fill(reused, 5, 5);
  const second = reused.take();
  assert.equal(new TextDecoder().decode(first.body), firstText);
  reused.giveBack(first.body);
  reused.giveBack(second.body);
  for (let round = 0; round < 3; round++) {
    fill(reused, 10 * round, 7);
    fill(fresh, 10 * round, 7);
    const [a, b] = [reused.take(), fresh.take()];
    assert.equal(
      new TextDecoder().decode(a.body),
      new TextDecoder().decode(b.body),
    );
    assert.equal(a.rows, 7);
    reused.giveBack(a.body);
  }
});
