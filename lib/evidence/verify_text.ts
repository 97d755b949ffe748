/**
 * The verifier's report as text for a terminal, what `mcp-audit verify`
 * prints without `--json`; the report itself comes from `verify.ts`.
 *
 * @module
 */
import type { Finding, VerifyReport } from "./verify.ts";

/**
 * The report as text for a terminal: one line per session, one per
 * finding (`file:line: kind: message`), and the verdict.
 *
 * @example
 * ```ts
 * import { formatVerifyReport } from "./verify_text.ts";
 * import assert from "node:assert/strict";
 *
 * const text = formatVerifyReport({
 *   status: "incomplete", signatures: "none", files: ["a.jsonl"], sessions: [],
 *   findings: [], omittedFindings: 0, bytes: 0,
 * });
 * assert.match(text, /INCOMPLETE/);
 * ```
 */
export function formatVerifyReport(report: VerifyReport): string {
  const out: string[] = [];
  for (const s of report.sessions) {
    const where = s.first.path === s.last.path
      ? `${s.first.path}:${s.first.line}-${s.last.line}`
      : `${s.first.path}:${s.first.line} to ${s.last.path}:${s.last.line}`;
    const sigs = s.signedCheckpoints === 0
      ? "unsigned"
      : report.signatures === "checked"
      ? `${s.verifiedSignatures}/${s.signedCheckpoints} signatures valid`
      : `${s.signedCheckpoints} signed, not checked`;
    out.push(
      `session ${s.session} (${where}): ${s.status}; ${s.lines} lines, ${s.events} events, ${s.checkpoints} checkpoint(s) (${sigs})${
        s.finished ? "" : ", not finished"
      }`,
    );
  }
  for (const f of report.findings) {
    const at = f.line > 0 ? `${f.path}:${f.line}: ` : "";
    out.push(`${at}${findingLabel(f)} ${f.kind}: ${f.message}`);
  }
  if (report.omittedFindings > 0) {
    out.push(`... and ${report.omittedFindings} more finding(s)`);
  }
  const failures =
    report.findings.filter((f) => f.severity === "failure").length;
  out.push(
    report.status === "verified"
      ? `VERIFIED: ${report.sessions.length} session(s); chains, tree roots${
        report.signatures === "checked"
          ? " and signatures (key " + report.keyId + ")"
          : ""
      } hold${
        report.signatures === "not_checked" ? " (signatures not checked)" : ""
      }`
      : report.status === "failed"
      ? `FAILED: ${failures + report.omittedFindings} problem(s) found`
      : report.status === "gap"
      ? `GAP: nothing contradicts the log, but the writer recorded ${
        report.sessions.reduce((n, s) => n + s.lostEvents, 0)
      } event(s) it could not write (a failed write, e.g. a full disk; see above); everything else holds. Not evidence of tampering as such, but the lost events are not in the log`
      : "INCOMPLETE: nothing contradicts the log, but not everything could be checked (see above)",
  );
  return out.join("\n");
}

/**
 * The word a verification finding is printed with: FAIL, GAP, INCOMPLETE
 * or note. Local and central verification print their findings alike.
 *
 * @example
 * ```ts
 * import { findingLabel } from "./verify_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(findingLabel({ severity: "failure", kind: "edited" }), "FAIL");
 * assert.equal(findingLabel({ severity: "incomplete", kind: "gap" }), "GAP");
 * ```
 */
export function findingLabel(f: Pick<Finding, "severity" | "kind">): string {
  return f.severity === "failure"
    ? "FAIL"
    : f.kind === "gap"
    ? "GAP"
    : f.severity === "incomplete"
    ? "INCOMPLETE"
    : "note";
}
