import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { Sealer } from "../../lib/seal/seal.ts";
import { LogVerifier, type VerifyReport } from "../../lib/evidence/verify.ts";
import { tempDir } from "../_helpers.ts";
import { seeded } from "../_seeded.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A sealed session of `count` events, some long (past a lane) or non-ASCII. */
async function session(
  id: string,
  count: number,
  random: () => number,
): Promise<{ lines: string[]; more: () => string }> {
  const sealer = new Sealer(id);
  const seal = (line: string, leaf = true): string =>
    decoder.decode(sealer.seal(encoder.encode(line + "\n"), { leaf }))
      .slice(0, -1);
  let seq = 0;
  const head = (kind: string): string =>
    `{"v":1,"seq":${seq++},"ts":"t","session":"${id}","kind":"${kind}"`;
  const lines = [
    seal(`${head("session_start")},"chainStart":"${sealer.start}"}`),
  ];
  for (let i = 0; i < count; i++) {
    const size = i % 23 === 5 ? 20_000 : Math.floor(random() * 400);
    const text = Array.from(
      { length: size },
      () => "ab c\u00e9\u4e2d"[Math.floor(random() * 5)],
    ).join("");
    lines.push(seal(`${head("request")},"id":${i},"text":"${text}"}`));
    if (i % 10 === 9) {
      const cp = await sealer.checkpoint();
      lines.push(
        seal(
          `${head("checkpoint")},${JSON.stringify(cp).slice(1, -1)}}`,
          false,
        ),
      );
    }
  }
  lines.push(
    seal(
      `${head("session_end")},"chain":{"head":"${sealer.head}","events":${
        seq - 1
      }}}`,
    ),
  );
  const cp = await sealer.checkpoint();
  lines.push(
    seal(`${head("checkpoint")},${JSON.stringify(cp).slice(1, -1)}}`, false),
  );
  // One more event, chained after the end: what a forger with the file
  // (and no key) could append.
  const more = (): string => seal(`${head("request")},"id":-1}`);
  return { lines, more };
}

/** The report without the fast path: every line through `line()`. */
async function slowReport(
  lines: string[],
  path: string,
): Promise<VerifyReport> {
  const verifier = new LogVerifier();
  for (const [i, line] of lines.entries()) {
    if (line === "") continue;
    await verifier.line(path, i + 1, encoder.encode(line), true);
  }
  return verifier.finish();
}

/** The report of readFile, which takes what lines it can by the fast path. */
async function fastReport(
  lines: string[],
  path: string,
): Promise<VerifyReport> {
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  const verifier = new LogVerifier();
  await verifier.readFile(path);
  return verifier.finish();
}

/** `line` with its stored hash recomputed as if `head` came before it. */
function relinked(line: string, head: string): string {
  const body = encoder.encode(line.slice(0, -75) + "}");
  const leaf = createHash("sha256").update(new Uint8Array([0])).update(body)
    .digest();
  const link = createHash("sha256").update(Buffer.from(head, "hex")).update(
    leaf,
  ).digest("hex");
  return line.slice(0, -66) + link + '"}';
}

function comparable(report: VerifyReport): unknown {
  const { bytes: _bytes, files: _files, ...rest } = report;
  return rest;
}

Deno.test("fast path: readFile finds exactly what the full check of every line finds, for clean, edited, deleted, swapped, inserted and interleaved logs", async () => {
  await using dir = await tempDir();
  const random = seeded(2026);
  const { lines: clean, more } = await session("fast-a", 60, random);
  const { lines: other } = await session("fast-b", 25, random);
  const appended = more();
  const at = (n: number): number => 2 + Math.floor(random() * n);
  const variants: Record<string, (lines: string[]) => string[]> = {
    clean: (l) => l,
    "one byte of a body edited": (l) => {
      const i = at(40);
      return l.with(i, l[i].replace('"text":"', '"text":"X'));
    },
    "a hash digit edited": (l) => {
      const i = at(40);
      const d = l[i].at(-3) === "0" ? "1" : "0";
      return l.with(i, l[i].slice(0, -3) + d + l[i].slice(-2));
    },
    // Chain values are hashed four lines at a time, each from the hash
    // stored in the line before: edits in every lane position, and in
    // four lines in a row.
    "hash digits edited in four lines in a row": (l) => {
      const i = at(40);
      let out = l;
      for (let k = i; k < i + 4; k++) {
        const d = out[k].at(-3) === "0" ? "1" : "0";
        out = out.with(k, out[k].slice(0, -3) + d + out[k].slice(-2));
      }
      return out;
    },
    "a line's hash replaced and the next line sealed on it": (l) => {
      // The next line's stored hash extends the forged one, as a forger
      // would write it: only the chain from the real head catches it.
      const i = at(40);
      const forged = "0".repeat(64);
      const edited = l[i].slice(0, -66) + forged + '"}';
      return l.with(i, edited).with(i + 1, relinked(l[i + 1], forged));
    },
    "a line deleted": (l) => l.toSpliced(at(40), 1),
    "two lines swapped": (l) => {
      const i = at(40);
      return l.with(i, l[i + 1]).with(i + 1, l[i]);
    },
    "a sealed line of another session inserted": (l) =>
      l.toSpliced(at(40), 0, other[3]),
    "two sessions interleaved": (l) => {
      // Each session's lines stay in order: a log may hold both so.
      const out: string[] = [];
      let [i, j] = [0, 0];
      while (i < l.length || j < other.length) {
        const mine = j >= other.length || (i < l.length && random() < 0.6);
        out.push(mine ? l[i++] : other[j++]);
      }
      return out;
    },
    "an event chained after the session's end": (l) => [...l, appended],
    "a line cut short": (l) => {
      const i = at(40);
      return l.with(i, l[i].slice(0, -10));
    },
    "the kind of an event changed": (l) => {
      const i = at(40);
      return l.with(i, l[i].replace('"kind":"request"', '"kind":"checkpoint"'));
    },
  };
  for (const [name, change] of Object.entries(variants)) {
    const lines = change(clean);
    const path = `${dir.path}/log.jsonl`;
    const fast = await fastReport(lines, path);
    const slow = await slowReport(lines, path);
    assert.deepEqual(comparable(fast), comparable(slow), name);
    const verified = name === "clean" || name === "two sessions interleaved";
    assert.equal(fast.status, verified ? "verified" : "failed", name);
  }
});
