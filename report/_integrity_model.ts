/**
 * Whether the log can be trusted: what `verifyLogs` (the same check as
 * `mcp-audit verify`) said about the files the report was read from, put in
 * the words the page shows at its top, and which events the failures fall
 * on, so their timeline rows can be marked.
 *
 * @module
 */
import type { LineLocation, VerifyReport } from "../lib/evidence/verify.ts";

/**
 * What the report knows of the log's integrity: the verifier's report with
 * where each event was read (parallel to the events, so a finding's line
 * can be matched to its event), or why the log was not verified.
 */
export type ReportVerification =
  | {
    /** What `verifyLogs` returned for the files the events were read from. */
    report: VerifyReport;
    /** The file and line of each event, in the order of the events. */
    locations: readonly LineLocation[];
  }
  | {
    /** Why the log was not verified, in words (e.g. `--no-verify was given`). */
    skipped: string;
  };

/**
 * The verdict shown at the top of the page: `signed` (verified, and every
 * signature checked with the given key), `signature_not_checked` (verified;
 * checkpoints are signed but no key was given), `unsigned` (verified; no
 * checkpoint is signed), `incomplete`, `failed`, or `not_verified`.
 */
export type IntegrityState =
  | "signed"
  | "signature_not_checked"
  | "unsigned"
  | "incomplete"
  | "failed"
  | "not_verified";

/** One problem shown in the verdict. */
export interface IntegrityProblem {
  /** `file:line` (the file's base name), or `""` for the whole log. */
  where: string;
  /** The finding's kind, e.g. `edited`. */
  kind: string;
  /** `failure` or `incomplete`. */
  severity: string;
  /** The verifier's sentence. */
  message: string;
}

/** The verdict on the log, as the page shows it. */
export interface IntegrityModel {
  state: IntegrityState;
  /** The headline, e.g. "Verified and signed". */
  title: string;
  /** What the verdict means, in a sentence or two. */
  text: string;
  /** Key ids (hex SHA-256 of the public key): the one checked with, or those the checkpoints name. */
  keyIds: string[];
  /** Failures and gaps, in file and line order. */
  problems: IntegrityProblem[];
  /** Problems the verifier did not list (over its limit). */
  omitted: number;
}

/** What {@linkcode buildIntegrity} returns. */
export interface IntegrityResult {
  integrity: IntegrityModel;
  /** Event index -> what was found wrong on its line, for the timeline. */
  flagged: Map<number, string[]>;
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

function where(f: LineLocation): string {
  return f.line > 0 ? `${baseName(f.path)}:${f.line}` : "";
}

/**
 * The verdict on the log and the events its failures fall on.
 *
 * @param verification What the verifier said, or why it did not run;
 *   `undefined` when the events were given without their log.
 *
 * @example A log with an edited line
 * ```ts
 * import { buildIntegrity } from "./_integrity_model.ts";
 * import assert from "node:assert/strict";
 *
 * const at = (line: number) => ({ path: "/logs/a.jsonl", line });
 * const { integrity, flagged } = buildIntegrity({
 *   report: {
 *     status: "failed", signatures: "none", files: ["/logs/a.jsonl"], sessions: [],
 *     omittedFindings: 0, bytes: 100,
 *     findings: [{ ...at(2), kind: "edited", severity: "failure", session: "s", seq: 1,
 *       message: "line 2 (seq 1, request) does not match its hash" }],
 *   },
 *   locations: [at(1), at(2), at(3)],
 * });
 * assert.equal(integrity.state, "failed");
 * assert.equal(integrity.problems[0].where, "a.jsonl:2");
 * assert.deepEqual([...flagged.keys()], [1]);
 * assert.equal(buildIntegrity(undefined).integrity.state, "not_verified");
 * ```
 */
export function buildIntegrity(
  verification: ReportVerification | undefined,
): IntegrityResult {
  const flagged = new Map<number, string[]>();
  if (verification === undefined || "skipped" in verification) {
    return {
      flagged,
      integrity: {
        state: "not_verified",
        title: "Not verified",
        text: verification
          ? `The log's hash chain, tree roots and signatures were not checked: ${verification.skipped}. Run "mcp-audit verify" on the log before trusting what this page shows.`
          : `These events were rendered without their log, so their hash chain, tree roots and signatures were not checked. Run "mcp-audit verify" on the log before trusting what this page shows.`,
        keyIds: [],
        problems: [],
        omitted: 0,
      },
    };
  }
  const { report, locations } = verification;
  const eventAt = new Map<string, number>();
  locations.forEach((l, i) => eventAt.set(`${l.path}\u0000${l.line}`, i));
  const problems: IntegrityProblem[] = [];
  for (const f of report.findings) {
    if (f.severity === "note") continue;
    problems.push({
      where: where(f),
      kind: f.kind,
      severity: f.severity,
      message: f.message,
    });
    if (f.severity !== "failure") continue;
    const index = eventAt.get(`${f.path}\u0000${f.line}`);
    if (index === undefined) continue;
    let list = flagged.get(index);
    if (!list) flagged.set(index, list = []);
    list.push(`${where(f)}: ${f.kind.replace(/_/g, " ")}: ${f.message}`);
  }
  const claimed = [...new Set(report.sessions.flatMap((s) => s.keyIds))];
  const keyIds = report.keyId ? [report.keyId] : claimed;
  return {
    flagged,
    integrity: {
      ...verdict(report, keyIds, flagged.size),
      keyIds,
      problems,
      omitted: report.omittedFindings,
    },
  };
}

function verdict(
  report: VerifyReport,
  keyIds: string[],
  marked: number,
): { state: IntegrityState; title: string; text: string } {
  const checkpoints = report.sessions.reduce((n, s) => n + s.checkpoints, 0);
  const signed = report.sessions.reduce((n, s) => n + s.signedCheckpoints, 0);
  const signature = report.signatures === "checked"
    ? ` Every checkpoint's Ed25519 signature was checked with key ${keyIds[0]}.`
    : report.signatures === "not_checked"
    ? ` ${plural(signed, "checkpoint is", "checkpoints are")} signed${
      keyIds.length ? ` (key ${keyIds.join(", ")})` : ""
    }, but the signatures were not checked: pass --pubkey FILE to check them.`
    : " No checkpoint is signed: anyone able to rewrite the file could recompute the hashes.";
  switch (report.status) {
    case "failed": {
      const failures = report.findings.filter((f) => f.severity === "failure");
      return {
        state: "failed",
        title: "Failed: the log was tampered with",
        text: `The log does not match its own hashes: ${
          plural(failures.length, "problem was", "problems were")
        } found (listed below${
          marked > 0
            ? `; ${
              plural(marked, "event is", "events are")
            } marked TAMPERED in the timeline`
            : ""
        }). Do not trust what this page shows without checking the original log.`,
      };
    }
    case "incomplete":
      return {
        state: "incomplete",
        title: "Incomplete",
        text:
          `Nothing contradicts the log, but not all of it could be checked (listed below): the session may still be running, or it ended without a session_end.${signature}`,
      };
    default:
      return report.signatures === "checked"
        ? {
          state: "signed",
          title: "Verified and signed",
          text:
            `Every line matches the hash chain and the checkpoints' Merkle tree roots (${
              plural(checkpoints, "checkpoint", "checkpoints")
            }).${signature}`,
        }
        : report.signatures === "not_checked"
        ? {
          state: "signature_not_checked",
          title: "Verified; signed, signature not checked",
          text:
            `Every line matches the hash chain and the checkpoints' Merkle tree roots.${signature}`,
        }
        : {
          state: "unsigned",
          title: "Verified, unsigned",
          text:
            `Every line matches the hash chain and the checkpoints' Merkle tree roots.${signature}`,
        };
  }
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}
