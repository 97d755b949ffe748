/**
 * The findings' proofs, to download from the report: for each finding of
 * a sealed log, the file its `mcp-audit prove` command would write (the
 * inclusion proofs of its events and of its logged `finding` event), as a
 * `data:` URL, so the finding can be handed over as evidence from the page
 * alone. Each proof hashes its session's tree again, so they are embedded
 * while a budget of hashed leaves lasts (a large log's first findings get
 * them, the rest keep the command).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  findingProofFile,
  findingProofSeqs,
} from "../lib/evidence/finding_proof.ts";
import { type ProofBundle, provableBundles } from "../lib/evidence/proof.ts";
import { LISTED_FINDINGS, type ReportFinding } from "./_findings_model.ts";

/** Leaves hashed for the embedded proofs, at most (about a second). */
const LEAF_BUDGET = 4_000_000;
/** A finding with more events than this keeps only its command. */
const MAX_EVENTS = 64;

/**
 * Sets `download` on each finding (of the first 200) whose events can be
 * proved from `sessionLogs` (a session's log files): the bytes that its
 * `prove` command writes. `sealed` is each sealed session's (one with a
 * checkpoint) number of events, for the budget: the others are not read.
 *
 * @example
 * ```ts
 * import { attachProofDownloads } from "./_finding_downloads.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, '{"v":1,"seq":0,"ts":"t","session":"s","kind":"stderr","text":"unsealed"}\n');
 * const f = { rule: "r", severity: "low" as const, title: "", explanation: "", session: "s",
 *   seqs: [0], entities: [], sessionIndex: 0 };
 * await attachProofDownloads([f], new Map([["s", [path]]]), new Map([["s", 1]]));
 * assert.equal("download" in f, false); // No checkpoint: nothing proves it.
 * await Deno.remove(path);
 * ```
 */
export async function attachProofDownloads(
  findings: readonly ReportFinding[],
  sessionLogs: ReadonlyMap<string, readonly string[]>,
  sealed: ReadonlyMap<string, number>,
): Promise<void> {
  let budget = LEAF_BUDGET;
  /** Each session's findings to prove, with the seqs of each. */
  const bySession = new Map<string, [ReportFinding, number[]][]>();
  for (const f of findings.slice(0, LISTED_FINDINGS)) {
    const seqs = findingProofSeqs(f);
    const events = sealed.get(f.session);
    if (events === undefined || !sessionLogs.has(f.session)) continue;
    if (seqs.length > MAX_EVENTS) continue;
    const cost = seqs.length * events;
    if (cost > budget) continue;
    budget -= cost;
    const list = bySession.get(f.session) ?? [];
    list.push([f, seqs]);
    bySession.set(f.session, list);
  }
  for (const [session, list] of bySession) {
    const seqs = [...new Set(list.flatMap(([, mine]) => mine))];
    let bundles: Map<number, ProofBundle>;
    try {
      bundles = await provableBundles([...sessionLogs.get(session)!], {
        session,
        seqs,
      });
    } catch {
      // Lost events, or a log that can no longer be read: the command stays.
      continue;
    }
    for (const [f, seqs] of list) {
      const mine = seqs.map((seq) => bundles.get(seq));
      if (mine.some((b) => b === undefined)) continue;
      // As `prove --event` writes it: one bundle, or an array of several.
      const text = JSON.stringify(mine.length === 1 ? mine[0] : mine, null, 2) +
        "\n";
      f.download = {
        file: findingProofFile(f),
        href: `data:application/json;base64,${
          Buffer.from(text, "utf8").toString("base64")
        }`,
      };
    }
  }
}
