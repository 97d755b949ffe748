import assert from "node:assert/strict";
import { BatchEnricher } from "../lib/batch_enricher.ts";
import { type CorrelatedEvent, FRAME } from "../lib/correlator.ts";
import type { AuditEvent, RequestEvent } from "../lib/event.ts";
import { toLogLine } from "../lib/log_line.ts";
import { Pipeline } from "../lib/pipeline.ts";
import { definePlugin } from "../lib/plugin.ts";
import { seeded } from "./_seeded.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A random request, as the correlator makes them: text with escapes and non-ASCII. */
function randomEvent(seq: number, rand: () => number): RequestEvent {
  const pieces = [
    "E042",
    "a@b.io",
    "é",
    "😀",
    '"',
    "\\",
    "\n",
    "x",
    " ",
    "\u2028",
  ];
  let text = "";
  for (let i = Math.floor(rand() * 40); i > 0; i--) {
    text += pieces[Math.floor(rand() * pieces.length)];
  }
  return {
    v: 1,
    seq,
    ts: "2026-11-25T00:00:00.000Z",
    session: "s",
    kind: "request",
    dir: rand() < 0.5 ? "c2s" : "s2c",
    bytes: text.length + 80,
    id: seq,
    method: "tools/call",
    tool: "note",
    params: { name: "note", arguments: { text, n: seq, deep: [{ text }] } },
  };
}

/** Events as the main thread posts them: JSON, one after another. */
function asRaw(events: AuditEvent[]): { buffer: Uint8Array; ends: number[] } {
  const parts = events.map((e) => encoder.encode(JSON.stringify(e)));
  const buffer = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  const ends: number[] = [];
  let at = 0;
  for (const p of parts) {
    buffer.set(p, at);
    ends.push(at += p.length);
  }
  return { buffer, ends };
}

function lines(out: { buffer: Uint8Array; ends: number[] }): string[] {
  return out.ends.map((end, i) =>
    decoder.decode(out.buffer.subarray(i === 0 ? 0 : out.ends[i - 1], end))
  );
}

Deno.test("an enriched batch's lines equal toLogLine of the same events run through the same plugins, whether fields were added, replaced or neither", async () => {
  const rand = seeded(4);
  // Tags some calls, finds entities in some, redacts an email in others.
  const plugins = [
    definePlugin({
      name: "tag",
      onToolCall: (call) =>
        JSON.stringify(call.arguments).includes("E042")
          ? {
            classes: ["SENSITIVE"],
            entities: [{ type: "employee", value: "E042", path: "arguments" }],
          }
          : undefined,
    }),
    definePlugin({
      name: "hide",
      redact: (s) =>
        s.includes("a@b.io") ? s.replaceAll("a@b.io", "[email]") : undefined,
    }),
  ];
  const kinds = { added: 0, replaced: 0, neither: 0 };
  for (let round = 0; round < 20; round++) {
    const events = Array.from({ length: 50 }, (_, i) => randomEvent(i, rand));
    const raw = asRaw(events);
    // The expected lines: the same plugins on the main-thread path.
    const reference = new Pipeline(plugins);
    const expected: string[] = [];
    for (const e of structuredClone(events)) {
      await reference.process(e);
      expected.push(toLogLine(e));
      const text = JSON.stringify(e);
      if (text.includes("[email]")) kinds.replaced++;
      else if (text.includes('"classes"')) kinds.added++;
      else kinds.neither++;
    }
    const enricher = new BatchEnricher({ processor: new Pipeline(plugins) });
    const out = await enricher.enrich(raw);
    assert.deepEqual(lines(out), expected);
    assert.deepEqual(out.seqs, events.map((e) => e.seq));
  }
  // Every way through was taken.
  assert.ok(
    kinds.added > 0 && kinds.replaced > 0 && kinds.neither > 0,
    JSON.stringify(kinds),
  );
});

Deno.test("an enriched batch truncates an oversized payload from the frame posted with it, after the plugins saw it whole", async () => {
  const big = "E042 " + "x".repeat(100_000) + " E777";
  const event: AuditEvent = {
    v: 1,
    seq: 0,
    ts: "t",
    session: "s",
    kind: "request",
    dir: "c2s",
    bytes: big.length + 60,
    id: 1,
    method: "tools/call",
    tool: "note",
    params: { name: "note", arguments: { text: big } },
  };
  const wire = encoder.encode(JSON.stringify({ jsonrpc: "2.0", ...event }));
  const frame = { bytes: wire, length: wire.length };
  const seen: string[] = [];
  const enricher = new BatchEnricher({
    processor: new Pipeline([definePlugin({
      name: "ids",
      onToolCall: (call) => {
        const text = (call.arguments as { text: string }).text;
        seen.push(...text.match(/E\d{3}/g) ?? []);
        return undefined;
      },
    })]),
  });
  const out = await enricher.enrich({
    ...asRaw([event]),
    frames: [{ at: 0, frame }],
  });
  // The plugin saw the end of the payload; the log holds its hash instead.
  assert.deepEqual(seen, ["E042", "E777"]);
  const [line] = lines(out);
  assert.equal(
    line,
    toLogLine({ ...event, [FRAME]: frame } as CorrelatedEvent),
  );
  assert.match(line, /"\$truncated":true/);
  assert.ok(line.length < 10_000);
});

Deno.test("an enriched batch leaves checkpoints and the session end to the sealer when the log is sealed", async () => {
  const start: AuditEvent = {
    v: 1,
    seq: 0,
    ts: "t",
    session: "s",
    kind: "stderr",
    text: "up",
  };
  const checkpoint: AuditEvent = {
    v: 1,
    seq: 1,
    ts: "t",
    session: "s",
    kind: "checkpoint",
    treeSize: 0,
    root: "",
    head: "",
  };
  const sealed = await new BatchEnricher({ sealed: true }).enrich(
    asRaw([start, checkpoint]),
  );
  assert.deepEqual(sealed.seqs, [0]);
  assert.deepEqual(sealed.events.map((e) => [e.at, e.event.kind]), [[
    1,
    "checkpoint",
  ]]);
  const unsealed = await new BatchEnricher().enrich(asRaw([start, checkpoint]));
  assert.deepEqual(unsealed.seqs, [0, 1]);
  assert.equal(unsealed.events.length, 0);
});
