/**
 * The proof of a finding: the `mcp-audit prove` command line that writes
 * the inclusion proofs of the events a finding rests on (and of the
 * `finding` event the proxy logged for it, when it did), in one file that
 * `mcp-audit verify-proof` checks. `report` and `summary` show it for each
 * finding, so a finding can be handed over as evidence.
 *
 * @module
 */
import type { Finding } from "../findings/finding.ts";
import { NAME } from "../util/version.ts";

/** A finding with the command that proves its events. */
export interface ProvableFinding extends Finding {
  /** A shell command line: `mcp-audit prove LOG... --session ID --event SEQ,... -o FILE`. */
  prove: string;
}

/**
 * The seqs a finding's proof covers: its events, and its logged `finding`
 * event when there is one, ascending.
 *
 * @example
 * ```ts
 * import { findingProofSeqs } from "./finding_proof.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(findingProofSeqs({ seqs: [4, 3], loggedSeq: 9 }), [3, 4, 9]);
 * ```
 */
export function findingProofSeqs(
  finding: Pick<Finding, "seqs" | "loggedSeq">,
): number[] {
  return [
    ...new Set([
      ...finding.seqs,
      ...(finding.loggedSeq === undefined ? [] : [finding.loggedSeq]),
    ]),
  ].sort((a, b) => a - b);
}

/**
 * The command line that proves `finding`'s events from the log files
 * `paths` of its session, writing `finding-<rule>-<first seq>.json`.
 *
 * @example
 * ```ts
 * import { proveCommandLine } from "./finding_proof.ts";
 * import assert from "node:assert/strict";
 *
 * const line = proveCommandLine(
 *   { rule: "data-flow-out", session: "5e1", seqs: [3, 4, 9] },
 *   ["/logs/my log.jsonl"],
 * );
 * assert.equal(line, "mcp-audit prove '/logs/my log.jsonl' --session 5e1 --event 3,4,9 -o finding-data-flow-out-3.json");
 * ```
 */
export function proveCommandLine(
  finding: Pick<Finding, "rule" | "session" | "seqs" | "loggedSeq">,
  paths: readonly string[],
): string {
  const seqs = findingProofSeqs(finding);
  const file = findingProofFile(finding);
  return [
    NAME,
    "prove",
    ...paths,
    "--session",
    finding.session,
    "--event",
    seqs.join(","),
    "-o",
    file,
  ].map(shellWord).join(" ");
}

/**
 * The file a finding's proofs are written to: `finding-<rule>-<first seq>.json`.
 *
 * @example
 * ```ts
 * import { findingProofFile } from "./finding_proof.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(findingProofFile({ rule: "data-flow-out", seqs: [9, 3] }), "finding-data-flow-out-3.json");
 * ```
 */
export function findingProofFile(
  finding: Pick<Finding, "rule" | "seqs" | "loggedSeq">,
): string {
  const seqs = findingProofSeqs(finding);
  return `finding-${finding.rule.replace(/[^\w.-]/g, "_")}-${
    seqs[0] ?? 0
  }.json`;
}

/** One word for a POSIX shell: as it is when it is plain, else in single quotes. */
function shellWord(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
