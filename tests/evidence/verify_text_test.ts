import assert from "node:assert/strict";
import type { VerifyReport } from "../../lib/evidence/verify.ts";
import { formatVerifyReport } from "../../lib/evidence/verify_text.ts";

const session = {
  session: "s1",
  status: "failed" as const,
  first: { path: "a.jsonl", line: 1 },
  last: { path: "a.jsonl", line: 9 },
  lines: 9,
  events: 7,
  checkpoints: 2,
  signedCheckpoints: 2,
  verifiedSignatures: 1,
  keyIds: ["k"],
  finished: true,
  lostEvents: 0,
};

Deno.test("verify_text: a failed report lists each session, each finding at its file and line, and the count of problems", () => {
  const report: VerifyReport = {
    status: "failed",
    signatures: "checked",
    keyId: "k",
    files: ["a.jsonl"],
    sessions: [session],
    findings: [
      {
        path: "a.jsonl",
        line: 4,
        kind: "edited",
        severity: "failure",
        session: "s1",
        seq: 3,
        message: "line 4 does not match its hash",
      },
      {
        path: "a.jsonl",
        line: 9,
        kind: "bad_signature",
        severity: "failure",
        message: "bad",
      },
    ],
    omittedFindings: 3,
    bytes: 100,
  };
  assert.deepEqual(formatVerifyReport(report).split("\n"), [
    "session s1 (a.jsonl:1-9): failed; 9 lines, 7 events, 2 checkpoint(s) (1/2 signatures valid)",
    "a.jsonl:4: FAIL edited: line 4 does not match its hash",
    "a.jsonl:9: FAIL bad_signature: bad",
    "... and 3 more finding(s)",
    "FAILED: 5 problem(s) found",
  ]);
});

Deno.test("verify_text: a verified report across files names the key, and says when signatures were not checked", () => {
  const verified = {
    ...session,
    status: "verified" as const,
    last: { path: "a.1.jsonl", line: 3 },
  };
  const report: VerifyReport = {
    status: "verified",
    signatures: "checked",
    keyId: "k",
    files: ["a.jsonl", "a.1.jsonl"],
    sessions: [verified],
    findings: [],
    omittedFindings: 0,
    bytes: 100,
  };
  const text = formatVerifyReport(report).split("\n");
  assert.match(
    text[0],
    /^session s1 \(a\.jsonl:1 to a\.1\.jsonl:3\): verified;/,
  );
  assert.equal(
    text[1],
    "VERIFIED: 1 session(s); chains, tree roots and signatures (key k) hold",
  );
  const unchecked = formatVerifyReport({
    ...report,
    signatures: "not_checked",
    keyId: undefined,
    findings: [{
      path: "",
      line: 0,
      kind: "signatures_not_checked",
      severity: "note",
      message: "signatures not checked",
    }],
  }).split("\n");
  assert.match(unchecked[0], /\(2 signed, not checked\)$/);
  assert.equal(
    unchecked[1],
    "note signatures_not_checked: signatures not checked",
  );
  assert.equal(
    unchecked[2],
    "VERIFIED: 1 session(s); chains, tree roots hold (signatures not checked)",
  );
});
